import { describe, expect, it } from "vitest";
import { clusterIdentity, recordId } from "../../../functions/lib/core/recordIdentity";
import { matchesFilter, parseDeadLetterFilter } from "../../../functions/lib/redrive/deadLetterFilter";
import { DeadLetterNotFoundError, RedriveInputError } from "../../../functions/lib/redrive/errors";
import { IndexReplaySource } from "../../../functions/lib/redrive/IndexReplaySource";
import { LISTING_ORDERS } from "../../../functions/lib/redrive/indexQueries";
import { parseOnFailureDocument } from "../../../functions/lib/redrive/onFailureDocument";
import { Redriver } from "../../../functions/lib/redrive/Redriver";
import { selectDeadLetters } from "../../../functions/lib/redrive/selectDeadLetters";
import type { DeadLetterFilter } from "../../../functions/lib/redrive/types";
import { MemoryMessageSink } from "../../doubles/memorySinks";
import { buildEvent } from "../../fixtures";
import { onFailureDocument } from "./fixtures";
import { deadLetter, MemoryCatalog, MemoryEnvelopes, MemoryRuns, MemoryTopics } from "./memoryPorts";

const MSK = "arn:aws:kafka:us-east-1:111122223333:cluster/orders/1";
const OTHER_MSK = "arn:aws:kafka:us-east-1:111122223333:cluster/orders-new/2";
const options = { now: new Date("2026-11-22T12:00:00.000Z"), defaultStatuses: ["new"] as const };
const filterOf = (ids: string[], statuses: DeadLetterFilter["statuses"] = ["new"]): DeadLetterFilter => ({
  ids,
  topic: undefined,
  since: undefined,
  until: undefined,
  stage: undefined,
  errorClass: undefined,
  statuses,
});

describe("dead-letter ids with the cluster and timestamp tag", () => {
  const tagged = recordId(MSK, { topic: "orders", partition: 0, offset: 42, timestamp: 1_700_000_000_000 });

  it("are accepted by the filter, as are the older untagged ids", () => {
    expect(parseDeadLetterFilter({ ids: [tagged, "orders:0:41"] }, options).ids).toEqual([
      tagged,
      "orders:0:41",
    ]);
  });

  it.each(["orders:0:42@", "orders:0:42@XYZ", "orders:0:42@5d41402abc@1", "orders-0-42"])(
    "rejects %s",
    (id) => {
      expect(() => parseDeadLetterFilter({ ids: [id] }, options)).toThrowError(RedriveInputError);
      expect(() => parseDeadLetterFilter({ ids: [id] }, options)).toThrowError("is not a dead-letter id");
    },
  );

  it("match in memory: an untagged id names the letter at its coordinates, a tagged id only itself", () => {
    const letter = {
      id: tagged,
      topic: "orders",
      failedAt: "2026-11-22T10:00:00.000Z",
      stage: "validate",
      errorClass: "SchemaViolationError",
      status: "new" as const,
    };
    const other = recordId(OTHER_MSK, { topic: "orders", partition: 0, offset: 42, timestamp: 1 });

    expect(matchesFilter(letter, filterOf(["orders:0:42"]))).toBe(true);
    expect(matchesFilter(letter, filterOf([tagged]))).toBe(true);
    expect(matchesFilter(letter, filterOf([other]))).toBe(false);
    expect(matchesFilter(letter, filterOf(["orders:0:43"]))).toBe(false);
  });
});

describe("selecting dead letters by id", () => {
  const old = deadLetter("orders", 7, { minute: 1 });
  const first = deadLetter("orders", 9, { cluster: MSK, timestamp: 1_000, minute: 2 });
  const reused = deadLetter("orders", 9, { cluster: MSK, timestamp: 2_000, minute: 3 });
  const lone = deadLetter("orders", 11, { cluster: MSK, minute: 4 });
  const catalog = new MemoryCatalog([old.view, first.view, reused.view, lone.view]);
  const select = async (ids: string[]) => {
    const found: string[] = [];
    for await (const v of selectDeadLetters(catalog, filterOf(ids, ["new"]), LISTING_ORDERS.oldestFirst))
      found.push(v.id);
    return found;
  };

  it("finds a letter recorded before ids carried a tag by its untagged id", async () => {
    expect(await select(["orders:0:7"])).toEqual(["orders:0:7"]);
  });

  it("finds a tagged letter by its tagged id, and by its coordinates when they name only it", async () => {
    expect(await select([reused.view.id])).toEqual([reused.view.id]);
    expect(await select(["orders:0:11"])).toEqual([lone.view.id]);
    expect(await select(["orders:0:11", lone.view.id])).toEqual([lone.view.id]);
  });

  it("refuses coordinates that name several letters, listing their ids", async () => {
    const error = await select(["orders:0:9"]).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RedriveInputError);
    expect((error as Error).message).toContain(first.view.id);
    expect((error as Error).message).toContain(reused.view.id);
  });

  it("says a tagged id that is not there is not found", async () => {
    const missing = recordId(OTHER_MSK, { topic: "orders", partition: 0, offset: 9, timestamp: 1_000 });

    await expect(select([missing])).rejects.toBeInstanceOf(DeadLetterNotFoundError);
  });
});

describe("a dead letter at re-used coordinates", () => {
  it("is new and redrivable after the older letter there was redriven", async () => {
    const before = deadLetter("orders", 5, { cluster: MSK, timestamp: 1_000, status: "redriven" });
    const recreated = deadLetter("orders", 5, { cluster: MSK, timestamp: 9_000, minute: 30 });
    const moved = deadLetter("orders", 5, { cluster: OTHER_MSK, timestamp: 1_000, minute: 31 });
    const catalog = new MemoryCatalog([before.view, recreated.view, moved.view]);
    const envelopes = new MemoryEnvelopes();
    for (const l of [before, recreated, moved]) envelopes.envelopes.set(l.view.id, l.envelope);
    const sink = new MemoryMessageSink();
    const redriver = new Redriver({
      sink,
      runs: new MemoryRuns(),
      topics: new MemoryTopics(new Set(["orders"])),
      sourceFor: (r) => new IndexReplaySource(catalog, envelopes, r.filter),
      now: () => Date.UTC(2026, 10, 22, 12),
      sleep: async () => undefined,
    });

    const summary = await redriver.start({
      source: { kind: "index" },
      filter: { ...filterOf([recreated.view.id, moved.view.id]), topic: "orders" },
      toTopic: undefined,
      maxRedrives: 3,
      maxCount: undefined,
      ratePerSecond: 1_000,
      batchSize: 10,
      dryRun: false,
    });

    expect(new Set([recreated.view.id, moved.view.id, before.view.id]).size).toBe(3);
    expect(summary.counts).toMatchObject({ selected: 2, replayed: 2, skipped: 0 });
    expect(catalog.letters.get(recreated.view.id)?.status).toBe("redriven");
    expect(catalog.letters.get(moved.view.id)?.status).toBe("redriven");
  });
});

describe("on-failure documents", () => {
  it("give their records the processor's tagged ids, from the event's cluster", () => {
    const event = {
      ...buildEvent([
        { topic: "orders", partition: 1, offset: 5, value: { id: 1 }, timestamp: 1_700_000_000_005 },
      ]),
      eventSourceArn: MSK,
    };

    const batch = parseOnFailureDocument(onFailureDocument(event), "k");

    const cluster = clusterIdentity(event.eventSourceArn, event.bootstrapServers);
    expect(batch.candidates.map((c) => c.id)).toEqual([
      recordId(cluster, { topic: "orders", partition: 1, offset: 5, timestamp: 1_700_000_000_005 }),
    ]);
  });

  it("fall back to KafkaBatchInfo's cluster when the payload names none", () => {
    // buildEvent leaves eventSourceArn and bootstrapServers out.
    const event = buildEvent([{ topic: "orders", partition: 1, offset: 5, value: { id: 1 } }]);
    const document = JSON.parse(onFailureDocument(event)) as { KafkaBatchInfo: { eventSourceArn: string } };

    const batch = parseOnFailureDocument(JSON.stringify(document), "k");

    expect(batch.candidates[0]?.id).toBe(
      recordId(clusterIdentity(document.KafkaBatchInfo.eventSourceArn, "b-1:9098"), {
        topic: "orders",
        partition: 1,
        offset: 5,
        timestamp: 1_763_800_000_005,
      }),
    );
  });
});
