/** Reads what the pipeline wrote for a run: its delivery counts, a dead letter's index item and archive. */
import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
} from "@aws-sdk/client-dynamodb";
import { DeleteObjectCommand, GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { deadLetterKey, parseDeadLetterItem } from "../../functions/lib/adapters/DynamoDeadLetterIndex";
import { canaryMarkerKey } from "../../functions/lib/canary/canaryRecord";
import type { DeadLetterEnvelope } from "../../functions/lib/core/deadLetter";
import { maybeGunzip } from "../../functions/lib/redrive/adapters/S3EnvelopeStore";
import { ATTEMPTS_TABLE } from "../../functions/lib/tables";
import type { ArchiveView, DeliveryCounts, IndexView } from "./observation";

export interface CanaryStores {
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly deadLetterTable: string;
  readonly attemptsTable: string;
}

/** The run's `CANARY#` item: how often the function was handed each valid record. */
export async function readDeliveries(
  stores: CanaryStores,
  runId: string,
): Promise<DeliveryCounts | undefined> {
  const { Item } = await stores.dynamodb.send(
    new GetItemCommand({
      TableName: stores.attemptsTable,
      Key: { [ATTEMPTS_TABLE.partitionKey]: { S: canaryMarkerKey(runId) } },
      ConsistentRead: true,
    }),
  );
  if (Item === undefined) return undefined;
  return { good: Number(Item.good?.N ?? "0"), "transient-once": Number(Item["transient-once"]?.N ?? "0") };
}

export async function readIndexItem(stores: CanaryStores, id: string): Promise<IndexView> {
  const { Item } = await stores.dynamodb.send(
    new GetItemCommand({ TableName: stores.deadLetterTable, Key: deadLetterKey(id), ConsistentRead: true }),
  );
  return Item === undefined
    ? { found: false, id, reason: `no item in ${stores.deadLetterTable}` }
    : { found: true, id, item: parseDeadLetterItem(Item) };
}

export async function readArchiveObject(
  stores: CanaryStores,
  bucket: string,
  key: string,
): Promise<ArchiveView> {
  let bytes: Buffer;
  try {
    const { Body } = await stores.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    bytes = Buffer.from((await Body?.transformToByteArray()) ?? []);
  } catch (error) {
    const e = error as { name?: string; message?: string };
    return { found: false, bucket, key, reason: `${e.name ?? "Error"}: ${e.message ?? String(error)}` };
  }
  const lines = (await maybeGunzip(bytes))
    .toString("utf8")
    .split("\n")
    .filter((line) => line.trim() !== "");
  try {
    const envelopes = lines.map((line) => JSON.parse(line) as DeadLetterEnvelope);
    return {
      found: true,
      bucket,
      key,
      envelopes: envelopes.map((e) => ({
        id: e.id,
        sourceTopic: e.source?.topic ?? "",
        value: e.record?.value ?? null,
      })),
    };
  } catch {
    return { found: false, bucket, key, reason: "the object is not JSON Lines of dead-letter envelopes" };
  }
}

/** An index item by its key: the marker of an indexed set (`indexedSets.ts`). */
export async function deleteIndexItemByKey(
  stores: CanaryStores,
  key: Record<string, AttributeValue>,
): Promise<void> {
  await stores.dynamodb.send(new DeleteItemCommand({ TableName: stores.deadLetterTable, Key: key }));
}

export async function deleteIndexItem(stores: CanaryStores, id: string): Promise<void> {
  await stores.dynamodb.send(
    new DeleteItemCommand({ TableName: stores.deadLetterTable, Key: deadLetterKey(id) }),
  );
}

/** An attempts-table item by key: the run's `CANARY#` item or a record's `ATTEMPT#` count. */
export async function deleteAttemptsItem(stores: CanaryStores, key: string): Promise<void> {
  await stores.dynamodb.send(
    new DeleteItemCommand({
      TableName: stores.attemptsTable,
      Key: { [ATTEMPTS_TABLE.partitionKey]: { S: key } },
    }),
  );
}

export async function deleteArchiveObject(stores: CanaryStores, bucket: string, key: string): Promise<void> {
  await stores.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
}
