import type { DeadLetterStatus } from "../adapters/DynamoDeadLetterIndex";
import { DEAD_LETTER_TABLE } from "../tables";
import { STATUS_NAMES } from "./constants";
import type { DeadLetterFilter } from "./types";

export const LISTING_ORDERS = { newestFirst: "newest-first", oldestFirst: "oldest-first" } as const;
export type ListingOrder = (typeof LISTING_ORDERS)[keyof typeof LISTING_ORDERS];

/** One DynamoDB Query on a GSI: a partition and an inclusive sort-key range, plus item filters. */
export interface IndexQuery {
  readonly indexName: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly partitionValue: string;
  readonly lower: string;
  readonly upper: string;
  /** Statuses to keep, when the index partition holds others too (byTopic). */
  readonly statuses: readonly DeadLetterStatus[] | undefined;
  readonly stage: string | undefined;
  readonly errorClass: string | undefined;
}

/** Below and above every `<ISO time>#<id>` sort key. */
const LOWEST = "0";
const HIGHEST = "9";

/**
 * Turns a filter into GSI queries, never a scan: with a topic, one query on `byTopic` with the time
 * range as the sort-key condition and the status as a filter; without one, one query per status on
 * `byStatus` (each dead letter has exactly one status, so together they cover every item once).
 * Results of several queries are merged in sort-key order by the caller.
 *
 * `after` is a cursor: only sort keys strictly beyond it in the listing order are wanted (the caller
 * drops the one equal item the inclusive range still returns).
 */
export function planIndexQueries(
  filter: DeadLetterFilter,
  order: ListingOrder,
  after?: string,
): IndexQuery[] {
  let lower = filter.since ?? LOWEST;
  let upper = filter.until ?? HIGHEST;
  if (after !== undefined) {
    if (order === LISTING_ORDERS.newestFirst) upper = after < upper ? after : upper;
    else lower = after > lower ? after : lower;
  }
  if (lower > upper) return [];
  const common = { lower, upper, stage: filter.stage, errorClass: filter.errorClass };
  if (filter.topic !== undefined) {
    const index = DEAD_LETTER_TABLE.byTopicIndex;
    const everyStatus = STATUS_NAMES.every((s) => filter.statuses.includes(s));
    return [
      {
        indexName: index.name,
        partitionKey: index.partitionKey,
        sortKey: index.sortKey,
        partitionValue: filter.topic,
        statuses: everyStatus ? undefined : filter.statuses,
        ...common,
      },
    ];
  }
  const index = DEAD_LETTER_TABLE.byStatusIndex;
  return filter.statuses.map((status) => ({
    indexName: index.name,
    partitionKey: index.partitionKey,
    sortKey: index.sortKey,
    partitionValue: status,
    statuses: undefined,
    ...common,
  }));
}

/** Whether a sort key returned by a query lies strictly beyond the cursor in the listing order. */
export function isBeyond(sortKey: string, after: string | undefined, order: ListingOrder): boolean {
  if (after === undefined) return true;
  return order === LISTING_ORDERS.newestFirst ? sortKey < after : sortKey > after;
}
