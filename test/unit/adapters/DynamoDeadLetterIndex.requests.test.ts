import type { AttributeValue, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { DynamoDeadLetterIndex } from "../../../functions/lib/adapters/DynamoDeadLetterIndex";
import { batchGetAll, batchWriteAll, transactUpdateAll } from "../../../functions/lib/adapters/dynamoBatch";
import { TransientError } from "../../../functions/lib/core/errors";
import type { DeadLetterIndexEntry } from "../../../functions/lib/core/ports";
import { DEAD_LETTER_TABLE } from "../../../functions/lib/tables";
import { deadLetter } from "../redrive/memoryPorts";

type Item = Record<string, AttributeValue>;

interface SentCommand {
  readonly name: string;
  readonly input: Record<string, unknown>;
}

/**
 * A DynamoDB client that records every request and keeps items by key, enough to answer the batch
 * reads the index makes: what counts here is how many requests a dead letter costs, not DynamoDB's
 * update semantics (test/integration/dlq/deadLetterStorm.test.ts checks those on DynamoDB Local).
 */
function recordingClient(table: string, faults: { failMarkerWrites?: boolean } = {}) {
  const items = new Map<string, Item>();
  const sent: SentCommand[] = [];
  const keyOf = (item: Item) =>
    `${item[DEAD_LETTER_TABLE.partitionKey]?.S}|${item[DEAD_LETTER_TABLE.sortKey]?.S}`;
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const { name } = command.constructor;
      const { input } = command;
      sent.push({ name, input });
      if (name === "BatchGetItemCommand") {
        const request = (input.RequestItems as Record<string, { Keys: Item[] }>)[table];
        const found = (request?.Keys ?? []).flatMap((key): Item[] => {
          const item = items.get(keyOf(key));
          return item === undefined ? [] : [item];
        });
        return { Responses: { [table]: found }, UnprocessedKeys: {} };
      }
      if (name === "BatchWriteItemCommand") {
        const writes = (input.RequestItems as Record<string, { PutRequest?: { Item: Item } }[]>)[table];
        const marker = writes?.some((w) => w.PutRequest?.Item.kind?.S === "indexed-set");
        if (marker && faults.failMarkerWrites) {
          throw Object.assign(new Error("throttled"), {
            name: "ProvisionedThroughputExceededException",
            $metadata: { httpStatusCode: 400 },
          });
        }
        for (const write of writes ?? []) {
          if (write.PutRequest) items.set(keyOf(write.PutRequest.Item), write.PutRequest.Item);
        }
        return { UnprocessedItems: {} };
      }
      return {};
    },
  };
  return { client: client as unknown as DynamoDBClient, sent };
}

const TABLE = "dead-letters";

/** A batch of dead letters; `archiveKey` differs when a redelivered batch was cut differently. */
function storm(size: number, archiveKey = "dead-letters/orders-0-0-2999.jsonl.gz"): DeadLetterIndexEntry[] {
  return Array.from({ length: size }, (_, offset) => {
    const { envelope } = deadLetter("orders", offset, { cluster: "arn:aws:kafka:eu-west-1:1:cluster/c/1" });
    return {
      envelope: { ...envelope, archiveKey },
      archiveLine: offset,
      dlq: { partition: 0, offset },
      redriveCount: 0,
    };
  });
}

const count = (sent: readonly SentCommand[], name: string) => sent.filter((c) => c.name === name).length;

/** The partition keys a batch read asked for. */
const keysRead = (command: SentCommand | undefined): string[] =>
  ((command?.input.RequestItems as Record<string, { Keys: Item[] }> | undefined)?.[TABLE]?.Keys ?? []).map(
    (key) => key[DEAD_LETTER_TABLE.partitionKey]?.S ?? "",
  );

describe("DynamoDeadLetterIndex requests in a dead-letter storm", () => {
  const size = 3_000;

  it("indexes a first delivery in batched requests only: one read key pair and one batched write per dead letter", async () => {
    const { client, sent } = recordingClient(TABLE);
    const index = new DynamoDeadLetterIndex({ client, table: TABLE, archiveBucket: "archive" });

    await index.record(storm(size));

    // The archive object's marker is read (1), each dead letter's own key and its pre-tag key are
    // read in batches of 100, the items written in batches of 25, then the marker (1).
    expect(count(sent, "BatchGetItemCommand")).toBe(1 + (2 * size) / 100);
    expect(count(sent, "BatchWriteItemCommand")).toBe(size / 25 + 1);
    expect(sent).toHaveLength(1 + (2 * size) / 100 + size / 25 + 1);
  });

  it("makes one request for a whole redelivery of the same batch: the archive object's marker vouches for every item", async () => {
    const { client, sent } = recordingClient(TABLE);
    const index = new DynamoDeadLetterIndex({ client, table: TABLE, archiveBucket: "archive" });
    await index.record(storm(size));
    sent.length = 0;

    await index.record(storm(size));

    expect(sent.map((c) => c.name)).toEqual(["BatchGetItemCommand"]);
    expect(keysRead(sent[0])).toEqual([expect.stringMatching(/^DLSET#/)]);
  });

  it("updates known items whose archive pointers moved in transactions of 100, never one by one", async () => {
    const { client, sent } = recordingClient(TABLE);
    const index = new DynamoDeadLetterIndex({ client, table: TABLE, archiveBucket: "archive" });
    await index.record(storm(size));
    sent.length = 0;

    await index.record(storm(size, "dead-letters/orders-0-0-3499.jsonl.gz"));

    // Another object is another set: its marker is not there, so the full path runs.
    expect(count(sent, "UpdateItemCommand")).toBe(0);
    expect(count(sent, "BatchGetItemCommand")).toBe(1 + (2 * size) / 100);
    expect(count(sent, "TransactWriteItemsCommand")).toBe(size / 100);
    expect(sent).toHaveLength(1 + (2 * size) / 100 + size / 100 + 1);
  });

  it("takes the full path for the same batch when the DLQ topic now took copies it refused before", async () => {
    const { client, sent } = recordingClient(TABLE);
    const index = new DynamoDeadLetterIndex({ client, table: TABLE, archiveBucket: "archive" });
    const refused = storm(100).map((entry, i) => (i % 10 === 0 ? { ...entry, dlq: undefined } : entry));
    await index.record(refused);
    sent.length = 0;

    await index.record(storm(100));

    // The ten items without a DLQ offset gain it; the other ninety are right already.
    const transaction = sent.find((c) => c.name === "TransactWriteItemsCommand");
    expect(transaction?.input.TransactItems).toHaveLength(10);
    expect(count(sent, "BatchGetItemCommand")).toBe(1 + 2);
  });

  it("does not trust a marker whose items may be expiring, and reads them instead", async () => {
    const { client, sent } = recordingClient(TABLE);
    let now = Date.parse("2026-12-02T00:00:00Z");
    const index = new DynamoDeadLetterIndex({
      client,
      table: TABLE,
      archiveBucket: "archive",
      retentionDays: 1,
      now: () => now,
    });
    const batch = storm(100);
    await index.record(batch);
    sent.length = 0;
    // The items expire a day after their failure time; a redelivery then cannot count on them.
    now = Date.parse(batch[0]?.envelope.failedAt ?? "") + 86_400_000;

    await index.record(storm(100));

    expect(count(sent, "BatchGetItemCommand")).toBe(1 + 2);
  });

  it("indexes the dead letters when writing the marker fails; the next redelivery takes the full path", async () => {
    const { client, sent } = recordingClient(TABLE, { failMarkerWrites: true });
    const index = new DynamoDeadLetterIndex({ client, table: TABLE, archiveBucket: "archive" });

    await expect(index.record(storm(100))).resolves.toBeUndefined();
    sent.length = 0;
    await index.record(storm(100));

    expect(count(sent, "BatchGetItemCommand")).toBe(1 + 2);
    expect(count(sent, "BatchWriteItemCommand") + count(sent, "TransactWriteItemsCommand")).toBe(1);
  });

  it("reads nothing in record after a lookup of the same letters (the read overlapped the DLQ write)", async () => {
    const { client, sent } = recordingClient(TABLE);
    const index = new DynamoDeadLetterIndex({ client, table: TABLE, archiveBucket: "archive" });
    const batch = storm(size);

    const lookup = await index.lookup(batch);
    const looked = sent.splice(0);
    await index.record(batch, lookup);

    expect(count(looked, "BatchGetItemCommand")).toBe(1 + (2 * size) / 100);
    expect(sent.map((c) => c.name)).toEqual(Array(size / 25 + 1).fill("BatchWriteItemCommand"));
  });

  it("makes one request for a lookup of a redelivered batch, and none in record", async () => {
    const { client, sent } = recordingClient(TABLE);
    const index = new DynamoDeadLetterIndex({ client, table: TABLE, archiveBucket: "archive" });
    await index.record(storm(size));
    sent.length = 0;

    const lookup = await index.lookup(storm(size));
    await index.record(storm(size), lookup);

    expect(sent.map((c) => c.name)).toEqual(["BatchGetItemCommand"]);
  });

  it("keeps what operators change (status, redrive count, status index keys) when it updates a known item", async () => {
    const { client, sent } = recordingClient(TABLE);
    const index = new DynamoDeadLetterIndex({ client, table: TABLE, archiveBucket: "archive" });
    await index.record(storm(1));
    sent.length = 0;

    await index.record(storm(1, "dead-letters/orders-0-0-9.jsonl.gz"));

    const transaction = sent.find((c) => c.name === "TransactWriteItemsCommand");
    const update = (
      (transaction?.input.TransactItems ?? []) as {
        Update: { UpdateExpression: string; ExpressionAttributeNames: Record<string, string> };
      }[]
    )[0]?.Update;
    const kept = Object.entries(update?.ExpressionAttributeNames ?? {})
      .filter(([alias]) => update?.UpdateExpression.includes(`${alias} = if_not_exists(${alias},`))
      .map(([, name]) => name)
      .sort();
    expect(kept).toEqual(
      [
        "redriveCount",
        "status",
        DEAD_LETTER_TABLE.byStatusIndex.partitionKey,
        DEAD_LETTER_TABLE.byStatusIndex.sortKey,
      ].sort(),
    );
  });

  it("reads only the key, the record timestamp and the archive and DLQ pointers of known items, not whole items", async () => {
    const { client, sent } = recordingClient(TABLE);
    const index = new DynamoDeadLetterIndex({ client, table: TABLE, archiveBucket: "archive" });

    await index.record(storm(1));

    const read = sent.find((c) => c.name === "BatchGetItemCommand" && keysRead(c)[0]?.startsWith("DL#"));
    const request = (
      (read?.input.RequestItems ?? {}) as Record<
        string,
        { ProjectionExpression?: string; ExpressionAttributeNames?: Record<string, string> }
      >
    )[TABLE];
    const projected = (request?.ProjectionExpression ?? "")
      .split(",")
      .map((name) => request?.ExpressionAttributeNames?.[name.trim()] ?? name.trim());
    expect(projected.sort()).toEqual(
      [
        DEAD_LETTER_TABLE.partitionKey,
        "timestamp",
        "archiveKey",
        "archiveLine",
        "dlqOffset",
        DEAD_LETTER_TABLE.ttlAttribute,
      ].sort(),
    );
  });
});

describe("transactUpdateAll", () => {
  const cancelled = (codes: string[]) =>
    Object.assign(new Error("Transaction cancelled"), {
      name: "TransactionCanceledException",
      $metadata: { httpStatusCode: 400 },
      CancellationReasons: codes.map((Code) => ({ Code })),
    });
  const failingWith = (error: Error) =>
    ({ send: async () => Promise.reject(error) }) as unknown as DynamoDBClient;
  const update = { Key: { pk: { S: "DL#a" }, sk: { S: "DL" } }, UpdateExpression: "SET #a = :v" };

  it("calls a transaction cancelled by a concurrent write transient, so the batch is retried", async () => {
    const attempt = transactUpdateAll(failingWith(cancelled(["None", "TransactionConflict"])), TABLE, [
      update,
    ]);

    await expect(attempt).rejects.toBeInstanceOf(TransientError);
    await expect(attempt).rejects.toThrow(/TransactionConflict/);
  });

  it("keeps a cancellation for a reason a retry cannot clear permanent", async () => {
    const attempt = transactUpdateAll(failingWith(cancelled(["ValidationError"])), TABLE, [update]);

    await expect(attempt).rejects.not.toBeInstanceOf(TransientError);
  });
});

describe("batchWriteAll and batchGetAll", () => {
  /** A client that answers every request after a tick and notes the most requests in flight. */
  const concurrencyClient = () => {
    let inFlight = 0;
    const seen = { most: 0, requests: 0 };
    const client = {
      async send() {
        inFlight += 1;
        seen.requests += 1;
        seen.most = Math.max(seen.most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 1));
        inFlight -= 1;
        return { Responses: {}, UnprocessedItems: {}, UnprocessedKeys: {} };
      },
    };
    return { client: client as unknown as DynamoDBClient, seen };
  };
  const key = (n: number): Item => ({ pk: { S: `DL#${n}` }, sk: { S: "DL" } });

  it("keeps at most eight batch writes in flight, however many the call has", async () => {
    const { client, seen } = concurrencyClient();

    await batchWriteAll(
      client,
      TABLE,
      Array.from({ length: 3_000 }, (_, n) => ({ PutRequest: { Item: key(n) } })),
    );

    expect(seen).toEqual({ most: 8, requests: 120 });
  });

  it("keeps at most eight batch reads in flight", async () => {
    const { client, seen } = concurrencyClient();

    await batchGetAll(
      client,
      TABLE,
      Array.from({ length: 6_000 }, (_, n) => key(n)),
    );

    expect(seen).toEqual({ most: 8, requests: 60 });
  });
});
