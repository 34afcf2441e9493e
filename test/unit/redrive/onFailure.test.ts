import { describe, expect, it } from "vitest";
import { REDRIVE_HEADERS } from "../../../functions/lib/core/headers";
import { clusterIdentity, recordId } from "../../../functions/lib/core/recordIdentity";
import { OnFailureReplaySource } from "../../../functions/lib/redrive/OnFailureReplaySource";
import {
  OnFailureDocumentError,
  parseOnFailureDocument,
} from "../../../functions/lib/redrive/onFailureDocument";
import type { OnFailureDocumentStore, ReplayLedger } from "../../../functions/lib/redrive/ports";
import type { DeadLetterFilter, RedriveMark } from "../../../functions/lib/redrive/types";
import { buildEvent } from "../../fixtures";
import { onFailureDocument } from "./fixtures";

const event = () => {
  const e = buildEvent([
    { topic: "orders", partition: 1, offset: 5, value: { id: 1 } },
    { topic: "orders", partition: 1, offset: 6, value: { id: 2 } },
  ]);
  const record = e.records["orders-1"]?.[1] as unknown as { headers: unknown[] };
  record.headers = [{ [REDRIVE_HEADERS.count]: [...Buffer.from("2")] }, { traceId: [1, 2, 255] }];
  return e;
};

/**
 * The processor's id of a record of event(): buildEvent names no cluster, so it comes from the
 * document's KafkaBatchInfo, and the timestamp is buildEvent's default.
 */
const idAt = (offset: number) =>
  recordId(clusterIdentity("arn:aws:kafka:...", "b-1:9098"), {
    topic: "orders",
    partition: 1,
    offset,
    timestamp: 1_763_800_000_000 + offset,
  });

describe("parseOnFailureDocument", () => {
  it.each(["RetryAttemptsExhausted", "RetriesExhausted", "MaximumPayloadSizeExceeded"])(
    "reads the failed batch of a %s document with the processor's ids and exact bytes",
    (condition) => {
      const batch = parseOnFailureDocument(onFailureDocument(event(), condition), "k");

      expect(batch).toMatchObject({ condition, failedAt: "2026-11-22T10:00:00.000Z", unreadable: [] });
      expect(batch.candidates.map((c) => c.id)).toEqual([idAt(5), idAt(6)]);
      expect(batch.candidates[1]?.record?.headers).toEqual([
        { name: REDRIVE_HEADERS.count, value: Buffer.from("2").toString("base64") },
        { name: "traceId", value: Buffer.from([1, 2, 255]).toString("base64") },
      ]);
      expect(batch.candidates[0]).toMatchObject({ stage: "on-failure", errorClass: condition });
    },
  );

  it.each([
    ["not json", "k is not JSON"],
    [JSON.stringify({ requestContext: { condition: "Nope" } }), "k has no known requestContext.condition"],
    [
      JSON.stringify({ requestContext: { condition: "RetryAttemptsExhausted" } }),
      "only S3 on-failure destinations keep",
    ],
    [
      JSON.stringify({ requestContext: { condition: "RetryAttemptsExhausted" }, payload: "{}" }),
      "payload is not a Kafka event",
    ],
  ])("rejects %s", (text, message) => {
    expect(() => parseOnFailureDocument(text, "k")).toThrowError(OnFailureDocumentError);
    expect(() => parseOnFailureDocument(text, "k")).toThrowError(message);
  });

  it("sets aside records whose bytes are not valid base64", () => {
    const e = event();
    (e.records["orders-1"]?.[0] as { value: string }).value = "not base64!";

    const batch = parseOnFailureDocument(onFailureDocument(e), "k");

    expect(batch.candidates.map((c) => c.id)).toEqual([idAt(6)]);
    expect(batch.unreadable).toEqual([{ id: idAt(5), reason: "value is not valid base64" }]);
  });
});

describe("OnFailureReplaySource", () => {
  const filter: DeadLetterFilter = {
    ids: [],
    topic: undefined,
    since: undefined,
    until: undefined,
    stage: undefined,
    errorClass: undefined,
    statuses: ["new"],
  };
  const documents: OnFailureDocumentStore = {
    async *list() {
      yield { key: "on-failure/a", lastModified: "2026-11-22T10:00:01.000Z" };
      yield { key: "on-failure/broken", lastModified: "2026-11-22T10:00:02.000Z" };
    },
    read: async (_, key) => (key.endsWith("broken") ? "{" : onFailureDocument(event())),
  };
  const ledger = (done: string[]): ReplayLedger & { marked: RedriveMark[] } => ({
    marked: [],
    replayed: async (ids) => new Set(ids.filter((id) => done.includes(id))),
    async markReplayed(entries) {
      this.marked.push(...entries);
    },
  });

  it("yields each record with its status from the ledger and its count from its headers, and bad documents as unreadable", async () => {
    const source = new OnFailureReplaySource(
      documents,
      ledger([idAt(5)]),
      { bucket: "b", prefix: "on-failure/" },
      filter,
    );
    const seen = [];
    for await (const c of source.candidates())
      seen.push([c.id, c.status, c.redriveCount, c.unreadable ?? ""]);

    expect(seen).toEqual([
      [idAt(5), "redriven", 0, ""],
      [idAt(6), "new", 2, ""],
      ["s3://b/on-failure/broken", "new", 0, "on-failure/broken is not JSON"],
    ]);
  });
});
