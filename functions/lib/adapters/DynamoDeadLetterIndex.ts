import type { AttributeValue, DynamoDBClient, Update } from "@aws-sdk/client-dynamodb";
import type { DeadLetterIndex, DeadLetterIndexEntry } from "../core/ports";
import { DEAD_LETTER_TABLE } from "../tables";
import { batchGetAll, batchWriteAll, transactUpdateAll } from "./dynamoBatch";

export const DEAD_LETTER_STATUSES = {
  new: "new",
  redriven: "redriven",
  discarded: "discarded",
} as const;
export type DeadLetterStatus = (typeof DEAD_LETTER_STATUSES)[keyof typeof DEAD_LETTER_STATUSES];

/** A dead letter as the index holds it: the envelope's facts, where to find it, and its status. */
export interface IndexedDeadLetter {
  readonly id: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly stage: string;
  readonly errorClass: string;
  readonly errorMessage: string;
  readonly failedAt: string;
  readonly day: string;
  readonly attempts: number;
  readonly archiveBucket: string;
  readonly archiveKey: string;
  readonly archiveLine: number;
  readonly dlqTopic: string;
  readonly dlqPartition: number | undefined;
  readonly dlqOffset: number | undefined;
  readonly status: DeadLetterStatus;
  readonly redriveCount: number;
  readonly functionName: string;
  readonly requestId: string;
  /** The cluster the record came from; absent on items written before envelopes named it. */
  readonly cluster: string | undefined;
  /** Why the DLQ topic holds no copy (it refused the record for good); the archive has the only one. */
  readonly dlqAbsentReason?: string | undefined;
  /**
   * The value's schema: the one it failed to decode with, else what the mapping's schema registry
   * said (`valueSchemaMetadata`); absent for plain JSON records.
   */
  readonly valueSchemaId?: string | undefined;
  readonly valueDataFormat?: string | undefined;
}

export interface DynamoDeadLetterIndexOptions {
  readonly client: DynamoDBClient;
  readonly table: string;
  /** Recorded on each item so tools can fetch the envelope without other configuration. */
  readonly archiveBucket: string;
  /** Days until DynamoDB's TTL removes an item; 0 keeps items forever. @default 90 */
  readonly retentionDays?: number;
}

/** Attributes an operator's tools change after the fact; a repeated dead letter must not reset them. */
const KEPT_ON_REWRITE: ReadonlySet<string> = new Set([
  "status",
  "redriveCount",
  DEAD_LETTER_TABLE.byStatusIndex.partitionKey,
  DEAD_LETTER_TABLE.byStatusIndex.sortKey,
]);

/**
 * Dead-letter index in DynamoDB: one item per dead letter, keyed by its id, with indexes by source
 * topic and by status (both newest first), so listing never scans.
 *
 * The id is the record's tagged id (coordinates, cluster and timestamp: `recordIdentity.ts`), so a
 * record that merely re-uses an older one's coordinates (a re-created topic, another cluster) is a
 * new item with status new, while a redelivery of the same record finds its own item.
 *
 * Lambda can redeliver a record that was already dead-lettered (and perhaps redriven since); a
 * plain put would reset its status to new and let it be replayed twice. So one batch read (of the
 * keys, record timestamps and archive pointers only) finds which dead letters are already indexed,
 * and new ones are written in batches of 25. A known item that still points at this record's line
 * in the archive object just rewritten (a redelivery of the same batch writes the same object under
 * the same key) is already right and is left alone: its DLQ copy and failure time stay those of the
 * first delivery, both still there. A known item whose pointers moved (the redelivered batch was cut
 * differently, or the DLQ topic now took a copy it refused before) is updated, in transactions of
 * 100, each action with `if_not_exists` on the status, its index keys and the redrive count, so an
 * operator's redrive or discard survives even one that lands between the read and the write.
 *
 * Per dead letter that is 1/50 of a batch read (two keys each) and 1/25 of a batch write on first
 * delivery; 1/50 of a batch read and nothing else on a redelivery of the same batch; at most 1/100
 * of a transaction more when pointers moved. None is one request per dead letter (before: a
 * redelivered storm of 3,000 took 3,000 `UpdateItem` calls and about 6 s on DynamoDB Local).
 *
 * Items written before ids carried a tag are keyed by the bare coordinates. The same batch read
 * looks for those too: one with the same coordinates and the same record timestamp is this record,
 * indexed before the upgrade, and is updated under its old id (keeping its status) instead of
 * gaining a second, new item. Once the index retention has passed since the upgrade, no such item
 * is left and the extra keys find nothing.
 */
export class DynamoDeadLetterIndex implements DeadLetterIndex {
  constructor(private readonly options: DynamoDeadLetterIndexOptions) {}

  async record(entries: readonly DeadLetterIndexEntry[]): Promise<void> {
    const { client, table } = this.options;
    const letters = entries.map((entry) => this.toLetter(entry));
    const keys = new Map<string, Record<string, AttributeValue>>();
    for (const letter of letters) {
      for (const id of [letter.id, untaggedId(letter)]) keys.set(id, deadLetterKey(id));
    }
    const existing = await batchGetAll(client, table, [...keys.values()], KNOWN_ITEM_PROJECTION);
    const known = new Map(existing.map((item) => [item[DEAD_LETTER_TABLE.partitionKey]?.S, item]));
    // Keyed by item, so a record that appears twice (a redelivered batch of a compacted topic) is
    // one write: DynamoDB refuses a batch or a transaction that names an item twice.
    const puts = new Map<string, Record<string, AttributeValue>>();
    const updates = new Map<string, Record<string, AttributeValue>>();
    for (const letter of letters) {
      const own = known.get(deadLetterKey(letter.id)[DEAD_LETTER_TABLE.partitionKey]?.S);
      const legacyId = untaggedId(letter);
      const legacy = known.get(deadLetterKey(legacyId)[DEAD_LETTER_TABLE.partitionKey]?.S);
      if (own !== undefined) {
        if (!pointsAt(own, letter)) updates.set(letter.id, this.itemOf(letter));
      } else if (legacy !== undefined && legacyId !== letter.id && sameTimestamp(legacy, letter))
        updates.set(legacyId, this.itemOf({ ...letter, id: legacyId }));
      else puts.set(letter.id, this.itemOf(letter));
    }
    await Promise.all([
      batchWriteAll(
        client,
        table,
        [...puts.values()].map((Item) => ({ PutRequest: { Item } })),
      ),
      transactUpdateAll(client, table, [...updates.values()].map(keepingOperatorChanges)),
    ]);
  }

  private itemOf(letter: IndexedDeadLetter): Record<string, AttributeValue> {
    const retentionDays = this.options.retentionDays ?? 90;
    return deadLetterItem(
      letter,
      retentionDays === 0
        ? undefined
        : Math.floor(Date.parse(letter.failedAt) / 1000) + retentionDays * 86_400,
    );
  }

  private toLetter(entry: DeadLetterIndexEntry): IndexedDeadLetter {
    const { envelope } = entry;
    const { source } = envelope;
    return {
      id: envelope.id,
      topic: envelope.source.topic,
      partition: envelope.source.partition,
      offset: envelope.source.offset,
      timestamp: envelope.source.timestamp,
      stage: envelope.error.stage,
      errorClass: envelope.error.class,
      errorMessage: envelope.error.message,
      failedAt: envelope.failedAt,
      day: envelope.failedAt.slice(0, 10),
      attempts: envelope.attempts,
      archiveBucket: this.options.archiveBucket,
      archiveKey: envelope.archiveKey,
      archiveLine: entry.archiveLine,
      dlqTopic: envelope.dlqTopic,
      dlqPartition: entry.dlq !== undefined && entry.dlq.offset >= 0 ? entry.dlq.partition : undefined,
      dlqOffset: entry.dlq !== undefined && entry.dlq.offset >= 0 ? entry.dlq.offset : undefined,
      status: DEAD_LETTER_STATUSES.new,
      redriveCount: entry.redriveCount,
      functionName: envelope.invocation.functionName,
      requestId: envelope.invocation.requestId,
      // Read defensively: envelopes written before they named the cluster have no such field.
      cluster: "cluster" in source && typeof source.cluster === "string" ? source.cluster : undefined,
      dlqAbsentReason: entry.dlqAbsentReason,
      ...valueSchemaOf(envelope),
    };
  }
}

/**
 * What the read of known items needs: the key (to match), the record timestamp (legacy ids) and the
 * pointers to the archive line and the DLQ copy (whether a known item is still right).
 */
const KNOWN_ITEM_PROJECTION = {
  expression: `${DEAD_LETTER_TABLE.partitionKey}, #timestamp, archiveKey, archiveLine, dlqOffset`,
  // `timestamp` is a DynamoDB reserved word.
  names: { "#timestamp": "timestamp" },
} as const;

/**
 * Whether a known item already points at where this delivery stored the record: the same line of the
 * same archive object, and a DLQ copy if this delivery has one (an older copy is as good as a new one).
 */
function pointsAt(item: Record<string, AttributeValue>, letter: IndexedDeadLetter): boolean {
  return (
    item.archiveKey?.S === letter.archiveKey &&
    item.archiveLine?.N === String(letter.archiveLine) &&
    (item.dlqOffset?.N !== undefined) === (letter.dlqOffset !== undefined)
  );
}

/**
 * The update of a known item to `item`: every attribute set, except the ones operators change after
 * the fact, which are set only where the item has none yet.
 */
function keepingOperatorChanges(item: Record<string, AttributeValue>): Omit<Update, "TableName"> {
  const key = deadLetterKey(item.id?.S ?? "");
  const names: Record<string, string> = {};
  const values: Record<string, AttributeValue> = {};
  const assignments = Object.entries(item)
    .filter(([name]) => !(name in key))
    .map(([name, value], i) => {
      names[`#a${i}`] = name;
      values[`:v${i}`] = value;
      return KEPT_ON_REWRITE.has(name) ? `#a${i} = if_not_exists(#a${i}, :v${i})` : `#a${i} = :v${i}`;
    });
  return {
    Key: key,
    UpdateExpression: `SET ${assignments.join(", ")}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

function valueSchemaOf(
  envelope: DeadLetterIndexEntry["envelope"],
): Pick<IndexedDeadLetter, "valueSchemaId" | "valueDataFormat"> {
  const failed = envelope.error.schema;
  if (failed !== undefined) return { valueSchemaId: failed.schemaId, valueDataFormat: failed.format };
  const mapping = envelope.record.valueSchemaMetadata;
  return mapping === undefined
    ? {}
    : { valueSchemaId: mapping.schemaId, valueDataFormat: mapping.dataFormat };
}

/** `<topic>:<partition>:<offset>`: the id the letter had before ids carried a tag. */
function untaggedId(letter: IndexedDeadLetter): string {
  return `${letter.topic}:${letter.partition}:${letter.offset}`;
}

function sameTimestamp(item: Record<string, AttributeValue>, letter: IndexedDeadLetter): boolean {
  return item.timestamp?.N !== undefined && Number(item.timestamp.N) === letter.timestamp;
}

const S = (value: string): AttributeValue => ({ S: value });
const N = (value: number): AttributeValue => ({ N: String(value) });

export function deadLetterKey(id: string): Record<string, AttributeValue> {
  return { [DEAD_LETTER_TABLE.partitionKey]: S(`DL#${id}`), [DEAD_LETTER_TABLE.sortKey]: S("DL") };
}

/** The item layout, shared with the `dlq` tool so both sides read and write the same attributes. */
export function deadLetterItem(
  letter: IndexedDeadLetter,
  expiresAt: number | undefined,
): Record<string, AttributeValue> {
  const sortKey = `${letter.failedAt}#${letter.id}`;
  const item: Record<string, AttributeValue> = {
    ...deadLetterKey(letter.id),
    [DEAD_LETTER_TABLE.byTopicIndex.partitionKey]: S(letter.topic),
    [DEAD_LETTER_TABLE.byTopicIndex.sortKey]: S(sortKey),
    [DEAD_LETTER_TABLE.byStatusIndex.partitionKey]: S(letter.status),
    [DEAD_LETTER_TABLE.byStatusIndex.sortKey]: S(sortKey),
    id: S(letter.id),
    topic: S(letter.topic),
    partition: N(letter.partition),
    offset: N(letter.offset),
    timestamp: N(letter.timestamp),
    stage: S(letter.stage),
    errorClass: S(letter.errorClass),
    errorMessage: S(letter.errorMessage || "-"),
    failedAt: S(letter.failedAt),
    day: S(letter.day),
    attempts: N(letter.attempts),
    archiveBucket: S(letter.archiveBucket),
    archiveKey: S(letter.archiveKey),
    archiveLine: N(letter.archiveLine),
    dlqTopic: S(letter.dlqTopic),
    status: S(letter.status),
    redriveCount: N(letter.redriveCount),
    functionName: S(letter.functionName),
    requestId: S(letter.requestId),
  };
  if (letter.cluster !== undefined) item.cluster = S(letter.cluster);
  if (letter.dlqAbsentReason !== undefined) item.dlqAbsentReason = S(letter.dlqAbsentReason);
  if (letter.dlqPartition !== undefined) item.dlqPartition = N(letter.dlqPartition);
  if (letter.dlqOffset !== undefined) item.dlqOffset = N(letter.dlqOffset);
  if (letter.valueSchemaId !== undefined) item.valueSchemaId = S(letter.valueSchemaId);
  if (letter.valueDataFormat !== undefined) item.valueDataFormat = S(letter.valueDataFormat);
  if (expiresAt !== undefined) item[DEAD_LETTER_TABLE.ttlAttribute] = N(expiresAt);
  return item;
}

export function parseDeadLetterItem(item: Record<string, AttributeValue>): IndexedDeadLetter {
  const s = (name: string) => item[name]?.S ?? "";
  const n = (name: string) => Number(item[name]?.N ?? "0");
  const optional = (name: string) => (item[name]?.N === undefined ? undefined : Number(item[name]?.N));
  return {
    id: s("id"),
    topic: s("topic"),
    partition: n("partition"),
    offset: n("offset"),
    timestamp: n("timestamp"),
    stage: s("stage"),
    errorClass: s("errorClass"),
    errorMessage: s("errorMessage"),
    failedAt: s("failedAt"),
    day: s("day"),
    attempts: n("attempts"),
    archiveBucket: s("archiveBucket"),
    archiveKey: s("archiveKey"),
    archiveLine: n("archiveLine"),
    dlqTopic: s("dlqTopic"),
    dlqPartition: optional("dlqPartition"),
    dlqOffset: optional("dlqOffset"),
    status: s("status") as DeadLetterStatus,
    redriveCount: n("redriveCount"),
    functionName: s("functionName"),
    requestId: s("requestId"),
    cluster: item.cluster?.S,
    dlqAbsentReason: item.dlqAbsentReason?.S,
    valueSchemaId: item.valueSchemaId?.S,
    valueDataFormat: item.valueDataFormat?.S,
  };
}
