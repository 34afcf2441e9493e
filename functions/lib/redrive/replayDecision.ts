import type { DeadLetterStatus } from "../adapters/DynamoDeadLetterIndex";

export const REPLAY_DECISIONS = { replay: "replay", refuse: "refuse", skip: "skip" } as const;

export type ReplayDecision =
  | { readonly kind: typeof REPLAY_DECISIONS.replay; readonly redriveCount: number }
  | { readonly kind: typeof REPLAY_DECISIONS.refuse; readonly reason: string }
  | { readonly kind: typeof REPLAY_DECISIONS.skip; readonly reason: string };

/**
 * The loop guard and the resume rule in one place: only `new` dead letters are replayed (a redriven
 * or discarded one was handled, by this run before it crashed or by someone else), and a record
 * already redriven `maxRedrives` times is refused, because replaying it again would most likely
 * dead-letter it again.
 */
export function decideReplay(
  letter: { readonly status: DeadLetterStatus; readonly redriveCount: number },
  maxRedrives: number,
): ReplayDecision {
  if (letter.status !== "new") {
    return { kind: REPLAY_DECISIONS.skip, reason: `already ${letter.status}` };
  }
  if (letter.redriveCount >= maxRedrives) {
    return {
      kind: REPLAY_DECISIONS.refuse,
      reason:
        `redriven ${letter.redriveCount} time${letter.redriveCount === 1 ? "" : "s"} already ` +
        `(limit ${maxRedrives}): fix the cause and raise --max-redrives, or discard it`,
    };
  }
  return { kind: REPLAY_DECISIONS.replay, redriveCount: letter.redriveCount + 1 };
}
