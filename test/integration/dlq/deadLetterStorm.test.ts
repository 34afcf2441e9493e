import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, describe, expect, it } from "vitest";
import {
  DEAD_LETTER_STATUSES,
  DynamoDeadLetterIndex,
  deadLetterKey,
  parseDeadLetterItem,
} from "../../../functions/lib/adapters/DynamoDeadLetterIndex";
import { loadConfig } from "../../../functions/lib/config";
import type { DeadLetterIndexEntry } from "../../../functions/lib/core/ports";
import { dynamoClientConfig } from "../../../functions/lib/lambda/createProcessor";
import { DEAD_LETTER_TABLE } from "../../../functions/lib/tables";
import { uniqueName } from "../../support/names";
import { deadLetter } from "../../unit/redrive/memoryPorts";

const CLUSTER = "arn:aws:kafka:us-east-1:111122223333:cluster/orders/1";

/**
 * A storm of dead letters indexed twice on DynamoDB Local, as when Lambda redelivers a batch that was
 * all dead letters: the requests stay batched (counted on the wire, by the SDK's own middleware),
 * and the second write updates the delivery facts while keeping what an operator did in between.
 */
describe("dead-letter index in a storm", () => {
  const config = loadConfig();
  const client = new DynamoDBClient(dynamoClientConfig(config));
  const sent: string[] = [];
  client.middlewareStack.add(
    (next, context) => (args) => {
      sent.push(context.commandName ?? "unknown");
      return next(args);
    },
    { step: "initialize", name: "countRequests" },
  );
  const index = new DynamoDeadLetterIndex({
    client,
    table: config.tables.deadLetters,
    archiveBucket: config.archive.bucket,
  });
  const topic = uniqueName("it.storm");
  const size = 1_000;

  afterAll(() => client.destroy());

  /** One batch of dead letters, archived in one object (`highest` names it, as archiveObjectKey does). */
  const storm = (dlqOffsetBase: number, minute: number, highest = size - 1): DeadLetterIndexEntry[] =>
    Array.from({ length: size }, (_, offset) => {
      const { envelope } = deadLetter(topic, offset, { cluster: CLUSTER, minute });
      return {
        envelope: { ...envelope, archiveKey: `dead-letters/topic=${topic}/${topic}-0-0-${highest}.jsonl.gz` },
        archiveLine: offset,
        dlq: { partition: 0, offset: dlqOffsetBase + offset },
        redriveCount: 0,
      };
    });

  const itemOf = async (id: string) => {
    const { Item } = await client.send(
      new GetItemCommand({ TableName: config.tables.deadLetters, Key: deadLetterKey(id) }),
    );
    return Item === undefined ? undefined : { item: Item, letter: parseDeadLetterItem(Item) };
  };

  it("indexes a first delivery and redeliveries in batched requests, keeping an operator's status", async () => {
    const first = storm(0, 1);
    const firstStart = performance.now();
    await index.record(first);
    const firstMs = performance.now() - firstStart;
    const firstRequests = sent.splice(0);
    // The archive object's marker and the items' keys read, the items and then the marker written.
    expect(firstRequests.filter((name) => name === "BatchGetItemCommand")).toHaveLength(1 + (2 * size) / 100);
    expect(firstRequests.filter((name) => name === "BatchWriteItemCommand")).toHaveLength(size / 25 + 1);
    expect(firstRequests).toHaveLength(1 + (2 * size) / 100 + size / 25 + 1);

    // An operator discards one dead letter and redrives another before the batch comes back.
    const discarded = first[3]?.envelope.id ?? "";
    const redriven = first[7]?.envelope.id ?? "";
    for (const [id, status] of [
      [discarded, DEAD_LETTER_STATUSES.discarded],
      [redriven, DEAD_LETTER_STATUSES.redriven],
    ] as const) {
      await client.send(
        new UpdateItemCommand({
          TableName: config.tables.deadLetters,
          Key: deadLetterKey(id),
          UpdateExpression: "SET #status = :status, #gsi2pk = :status, redriveCount = :one",
          ExpressionAttributeNames: {
            "#status": "status",
            "#gsi2pk": DEAD_LETTER_TABLE.byStatusIndex.partitionKey,
          },
          ExpressionAttributeValues: { ":status": { S: status }, ":one": { N: "1" } },
        }),
      );
    }
    sent.splice(0);

    // Lambda redelivers the same batch: the same archive object, rewritten; its marker vouches for
    // every item, so one read and nothing to write.
    const same = storm(size, 2);
    const sameStart = performance.now();
    await index.record(same);
    const sameMs = performance.now() - sameStart;
    const sameRequests = sent.splice(0);
    expect(sameRequests).toEqual(["BatchGetItemCommand"]);
    expect((await itemOf(first[0]?.envelope.id ?? ""))?.letter).toMatchObject({
      status: DEAD_LETTER_STATUSES.new,
      dlqOffset: 0,
      failedAt: first[0]?.envelope.failedAt,
    });
    expect((await itemOf(discarded))?.letter.status).toBe(DEAD_LETTER_STATUSES.discarded);
    expect((await itemOf(redriven))?.letter.status).toBe(DEAD_LETTER_STATUSES.redriven);

    // A redelivery cut differently archives the records in another object: the pointers move.
    const moved = storm(size, 3, size + 499);
    sent.splice(0);
    const movedStart = performance.now();
    await index.record(moved);
    const movedMs = performance.now() - movedStart;
    const movedRequests = sent.splice(0);
    expect(movedRequests.filter((name) => name === "UpdateItemCommand")).toEqual([]);
    expect(movedRequests.filter((name) => name === "BatchGetItemCommand")).toHaveLength(1 + (2 * size) / 100);
    expect(movedRequests.filter((name) => name === "TransactWriteItemsCommand")).toHaveLength(size / 100);
    expect(movedRequests).toHaveLength(1 + (2 * size) / 100 + size / 100 + 1);

    // The new facts (archive object, DLQ copy, failure time) replace the first ones...
    expect((await itemOf(first[0]?.envelope.id ?? ""))?.letter).toMatchObject({
      status: DEAD_LETTER_STATUSES.new,
      archiveKey: moved[0]?.envelope.archiveKey,
      dlqOffset: size,
      failedAt: moved[0]?.envelope.failedAt,
    });
    // ...but not what the operator did: status, its index key and the redrive count are kept.
    const kept = await itemOf(discarded);
    expect(kept?.letter).toMatchObject({
      status: DEAD_LETTER_STATUSES.discarded,
      redriveCount: 1,
      archiveKey: moved[3]?.envelope.archiveKey,
    });
    expect(kept?.item[DEAD_LETTER_TABLE.byStatusIndex.partitionKey]?.S).toBe(DEAD_LETTER_STATUSES.discarded);
    expect((await itemOf(redriven))?.letter).toMatchObject({
      status: DEAD_LETTER_STATUSES.redriven,
      redriveCount: 1,
    });

    // Measured, not asserted (DynamoDB Local's speed is not DynamoDB's): printed for the README.
    console.info(
      `index of ${size} dead letters on DynamoDB Local: first ${firstMs.toFixed(0)} ms (${firstRequests.length} requests), ` +
        `same batch again ${sameMs.toFixed(0)} ms (${sameRequests.length}), cut differently ${movedMs.toFixed(0)} ms (${movedRequests.length})`,
    );
  });

  it("says a redelivered storm is indexed already in one read, and only when every DLQ copy is there", async () => {
    const letters = (entries: readonly DeadLetterIndexEntry[]) =>
      entries.map(({ envelope, archiveLine }) => ({ envelope, archiveLine }));
    const first = storm(0, 4, 5_000 + size);
    sent.splice(0);
    const fresh = await index.indexedBefore(letters(first));
    expect(fresh.indexed).toBe(false);
    expect(sent.splice(0)).toEqual(["BatchGetItemCommand"]);
    // The look-ahead goes on from the check: the marker is not read twice.
    await index.lookup(letters(first), fresh.known);
    expect(sent.splice(0)).toHaveLength((2 * size) / 100);

    await index.record(first);
    sent.splice(0);
    const redelivered = storm(size, 5, 5_000 + size);
    expect((await index.indexedBefore(letters(redelivered))).indexed).toBe(true);
    expect(sent.splice(0)).toEqual(["BatchGetItemCommand"]);
    // A batch cut differently names another set; so does a part of the same one.
    expect((await index.indexedBefore(letters(storm(size, 5, 6_000 + size)))).indexed).toBe(false);
    expect((await index.indexedBefore(letters(redelivered.slice(1)))).indexed).toBe(false);

    // A set indexed while the DLQ topic refused a copy is not vouched for: the copy is offered again.
    const refused = storm(0, 6, 7_000 + size).map((entry, i) =>
      i === 0 ? { ...entry, dlq: undefined, dlqAbsentReason: "MESSAGE_TOO_LARGE" } : entry,
    );
    await index.record(refused);
    expect((await index.indexedBefore(letters(refused))).indexed).toBe(false);
  });
});
