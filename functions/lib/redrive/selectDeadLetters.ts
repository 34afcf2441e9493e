import { parseRecordId } from "../core/recordIdentity";
import { matchesFilter } from "./deadLetterFilter";
import { DeadLetterNotFoundError, RedriveInputError } from "./errors";
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
  const views = await Promise.all(ids.map((id) => resolveDeadLetter(catalog, id)));
  const missing = ids.find((_, i) => views[i] === undefined);
  if (missing !== undefined) throw new DeadLetterNotFoundError(missing);
  const everyStatus = { ...filter, statuses: ["new", "redriven", "discarded"] as const };
  // A tagged id and the coordinates of the same letter name it once.
  const unique = new Map((views as DeadLetterView[]).map((v) => [v.id, v]));
  const selected = [...unique.values()]
    .filter((v) => matchesFilter(v, everyStatus) && isBeyond(v.sortKey, after, order))
    .sort((a, b) =>
      order === LISTING_ORDERS.newestFirst
        ? b.sortKey.localeCompare(a.sortKey)
        : a.sortKey.localeCompare(b.sortKey),
    );
  yield* selected;
}

/**
 * The letter an id names: by key first (a tagged id, or an untagged one recorded before ids carried
 * a tag); an untagged id that is no key names the letter at those coordinates, when only one is.
 */
export async function resolveDeadLetter(
  catalog: DeadLetterCatalog,
  id: string,
): Promise<DeadLetterView | undefined> {
  const exact = await catalog.get(id);
  if (exact !== undefined) return exact;
  const parsed = parseRecordId(id);
  if (parsed === undefined || parsed.tag !== undefined) return undefined;
  const found = await catalog.atCoordinates(parsed.topic, parsed.partition, parsed.offset);
  if (found.length > 1) {
    throw new RedriveInputError(
      `"${id}" names ${found.length} dead letters (the coordinates were reused by a re-created ` +
        `topic or another cluster): give one of ${found.map((v) => v.id).join(", ")}`,
    );
  }
  return found[0];
}
