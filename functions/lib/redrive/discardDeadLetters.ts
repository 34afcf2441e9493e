import { LISTING_ORDERS } from "./indexQueries";
import type { DeadLetterCatalog } from "./ports";
import { selectDeadLetters } from "./selectDeadLetters";
import { type DeadLetterFilter, RECORD_ACTIONS, type RecordReport } from "./types";

export interface DiscardOptions {
  readonly reason: string;
  readonly dryRun: boolean;
  readonly now: () => Date;
  readonly onRecord?: (report: RecordReport) => void;
}

export interface DiscardSummary {
  readonly selected: number;
  readonly discarded: number;
  /** Not `new` any more: redriven or discarded already. */
  readonly skipped: number;
  readonly dryRun: boolean;
}

/**
 * Marks dead letters as handled without replaying them: status `discarded`, with who-knows-why in
 * `discardReason`. Only `new` ones change, so a discard never hides a record that was replayed.
 */
export async function discardDeadLetters(
  catalog: DeadLetterCatalog,
  filter: DeadLetterFilter,
  options: DiscardOptions,
): Promise<DiscardSummary> {
  let selected = 0;
  let discarded = 0;
  let skipped = 0;
  for await (const letter of selectDeadLetters(catalog, filter, LISTING_ORDERS.oldestFirst)) {
    selected += 1;
    if (letter.status !== "new") {
      skipped += 1;
      options.onRecord?.({
        id: letter.id,
        action: RECORD_ACTIONS.skipped,
        detail: `already ${letter.status}`,
      });
      continue;
    }
    if (options.dryRun) {
      discarded += 1;
      options.onRecord?.({
        id: letter.id,
        action: RECORD_ACTIONS.wouldDiscard,
        detail: "would be discarded",
      });
      continue;
    }
    const changed = await catalog.markDiscarded(letter.id, {
      at: options.now().toISOString(),
      reason: options.reason,
    });
    if (changed) discarded += 1;
    else skipped += 1;
    options.onRecord?.({
      id: letter.id,
      action: changed ? RECORD_ACTIONS.discarded : RECORD_ACTIONS.skipped,
      detail: changed ? options.reason : "changed by someone else meanwhile",
    });
  }
  return { selected, discarded, skipped, dryRun: options.dryRun };
}
