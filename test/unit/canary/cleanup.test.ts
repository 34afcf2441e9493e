import { describe, expect, it } from "vitest";
import { canaryTopics } from "../../../functions/lib/canary/canaryRecord";
import { DEAD_LETTER_HEADERS } from "../../../functions/lib/core/headers";
import { planCleanup } from "../../../tools/canary/cleanup";
import type { CanaryObservation } from "../../../tools/canary/observation";

const topics = canaryTopics("shop.canary");
const produced = {
  good: { kind: "good", partition: 0, offset: 40, value: Buffer.from("g") },
  "transient-once": { kind: "transient-once", partition: 0, offset: 41, value: Buffer.from("t") },
  invalid: { kind: "invalid", partition: 0, offset: 42, value: Buffer.from("i") },
} as const;
const deadLetter = (id: string, key: string, offset: number) => ({
  topic: topics.dlq,
  partition: 0,
  offset,
  kind: "invalid" as const,
  headers: { [DEAD_LETTER_HEADERS.recordId]: id, [DEAD_LETTER_HEADERS.archiveKey]: key },
});
const observation = (dlq: CanaryObservation["dlq"]): CanaryObservation => ({
  runId: "c-lq2x9c-1a2b",
  topics,
  produced,
  target: [],
  dlq,
  deliveries: undefined,
  archive: undefined,
  index: undefined,
  waitedMs: 1,
});

describe("what a run removes", () => {
  it("its dead letters' index items and archive objects, its delivery counts and transient-once's attempt count", () => {
    const plan = planCleanup(
      observation([
        deadLetter("shop.canary:0:42@5d41402abc", "dead-letters/a.jsonl.gz", 3),
        // The same dead letter written again after a redelivery: one index item, one object.
        deadLetter("shop.canary:0:42@5d41402abc", "dead-letters/a.jsonl.gz", 4),
      ]),
    );

    expect(plan).toEqual({
      indexIds: ["shop.canary:0:42@5d41402abc"],
      archiveKeys: ["dead-letters/a.jsonl.gz"],
      // The three records share a timestamp, so transient-once's id has the dead letter's tag.
      attemptsKeys: ["CANARY#c-lq2x9c-1a2b", "ATTEMPT#shop.canary:0:41@5d41402abc"],
    });
  });

  it("only the delivery counts when nothing was dead-lettered (the attempt count expires by TTL)", () => {
    expect(planCleanup(observation([]))).toEqual({
      indexIds: [],
      archiveKeys: [],
      attemptsKeys: ["CANARY#c-lq2x9c-1a2b"],
    });
  });
});
