import { describe, expect, it } from "vitest";
import { LISTING_ORDERS, planIndexQueries } from "../../../functions/lib/redrive/indexQueries";
import { mergeOrdered } from "../../../functions/lib/redrive/mergeOrdered";
import type { DeadLetterFilter } from "../../../functions/lib/redrive/types";

const ALL = ["new", "redriven", "discarded"] as const;
const filter = (overrides: Partial<DeadLetterFilter>): DeadLetterFilter => ({
  ids: [],
  topic: undefined,
  since: undefined,
  until: undefined,
  stage: undefined,
  errorClass: undefined,
  statuses: ALL,
  ...overrides,
});

describe("planIndexQueries: keys and indexes, never a scan", () => {
  it("serves a topic from byTopic with the time range as the sort-key condition", () => {
    const [query, ...more] = planIndexQueries(
      filter({
        topic: "employees",
        since: "2026-11-20T00:00:00.000Z",
        until: "2026-11-21T00:00:00.000Z",
        statuses: ["new"],
      }),
      LISTING_ORDERS.newestFirst,
    );

    expect(more).toEqual([]);
    expect(query).toEqual({
      indexName: "byTopic",
      partitionKey: "gsi1pk",
      sortKey: "gsi1sk",
      partitionValue: "employees",
      lower: "2026-11-20T00:00:00.000Z",
      upper: "2026-11-21T00:00:00.000Z",
      statuses: ["new"],
      stage: undefined,
      errorClass: undefined,
    });
  });

  it("does not filter by status on byTopic when every status is wanted", () => {
    expect(planIndexQueries(filter({ topic: "t" }), LISTING_ORDERS.newestFirst)[0]?.statuses).toBeUndefined();
  });

  it("serves everything else from byStatus, one query per status", () => {
    const queries = planIndexQueries(filter({ stage: "validate" }), LISTING_ORDERS.oldestFirst);

    expect(queries.map((q) => [q.indexName, q.partitionKey, q.partitionValue, q.stage])).toEqual([
      ["byStatus", "gsi2pk", "new", "validate"],
      ["byStatus", "gsi2pk", "redriven", "validate"],
      ["byStatus", "gsi2pk", "discarded", "validate"],
    ]);
  });

  it("narrows the range to a cursor, and plans nothing once the cursor passed the range", () => {
    const cursor = "2026-11-20T12:00:00.000Z#t:0:1";
    const since = "2026-11-20T00:00:00.000Z";

    expect(
      planIndexQueries(filter({ topic: "t", since }), LISTING_ORDERS.newestFirst, cursor)[0],
    ).toMatchObject({
      lower: since,
      upper: cursor,
    });
    expect(
      planIndexQueries(filter({ topic: "t", since: "2026-11-21T00:00:00.000Z" }), "newest-first", cursor),
    ).toEqual([]);
  });
});

describe("mergeOrdered", () => {
  async function* of(...items: number[]) {
    yield* items;
  }

  it("merges sorted sources into one sorted stream", async () => {
    const merged: number[] = [];
    for await (const n of mergeOrdered([of(9, 5, 1), of(8, 2), of(), of(7)], (a, b) => a > b)) merged.push(n);

    expect(merged).toEqual([9, 8, 7, 5, 2, 1]);
  });

  it("stops reading its sources when the consumer stops", async () => {
    let closed = 0;
    async function* counted() {
      try {
        yield* [3, 2, 1];
      } finally {
        closed += 1;
      }
    }
    for await (const n of mergeOrdered([counted(), counted()], (a, b) => a > b)) if (n === 3) break;

    expect(closed).toBe(2);
  });
});
