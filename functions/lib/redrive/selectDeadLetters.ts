import { matchesFilter } from "./deadLetterFilter";
import { DeadLetterNotFoundError } from "./errors";
import { isBeyond, LISTING_ORDERS, type ListingOrder } from "./indexQueries";
import type { DeadLetterCatalog } from "./ports";
import type { DeadLetterFilter, DeadLetterView } from "./types";

/**
 * The dead letters a command applies to. Explicit ids are read by key (all of them first, so one
 * unknown id stops the command before anything changed) and keep every status, so a command can say
 * why it skips one; otherwise the filter runs as GSI queries.
 */
export async function* selectDeadLetters(
  catalog: DeadLetterCatalog,
  filter: DeadLetterFilter,
  order: ListingOrder,
  after?: string,
): AsyncGenerator<DeadLetterView> {
  if (filter.ids.length === 0) {
    yield* catalog.find(filter, order, after);
    return;
  }
  const ids = [...new Set(filter.ids)];
  const views = await Promise.all(ids.map((id) => catalog.get(id)));
  const missing = ids.find((_, i) => views[i] === undefined);
  if (missing !== undefined) throw new DeadLetterNotFoundError(missing);
  const everyStatus = { ...filter, statuses: ["new", "redriven", "discarded"] as const };
  const selected = (views as DeadLetterView[])
    .filter((v) => matchesFilter(v, everyStatus) && isBeyond(v.sortKey, after, order))
    .sort((a, b) =>
      order === LISTING_ORDERS.newestFirst
        ? b.sortKey.localeCompare(a.sortKey)
        : a.sortKey.localeCompare(b.sortKey),
    );
  yield* selected;
}
