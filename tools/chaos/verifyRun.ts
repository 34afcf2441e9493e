/**
 * Reconciles a chaos run: every source record must be in the target exactly as the pipeline
 * transforms it, or a consistent dead letter (DLQ copy, archive envelope, index item agreeing), or in
 * the on-failure destination. Duplicates are counted (at least once allows them); ordering is
 * checked per key on the target.
 */
import { gunzipSync } from "node:zlib";
import { type DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { Kafka } from "kafkajs";
import { locateRecords, PLACES, sourceId } from "../../emulator/reconcile/locateRecords";
import { readTopic } from "../../emulator/reconcile/readTopic";
import { parseDeadLetterItem } from "../../functions/lib/adapters/DynamoDeadLetterIndex";
import type { DeadLetterEnvelope } from "../../functions/lib/core/deadLetter";
import { DEAD_LETTER_HEADERS, LINEAGE_HEADERS } from "../../functions/lib/core/headers";
import { DEAD_LETTER_TABLE } from "../../functions/lib/tables";
import type { ChaosRecord } from "./chaosRecords";
import { CHAOS_INDEX_HEADER, type ProducedChaosRecord } from "./produceChaosRecords";

export interface RunTopics {
  readonly source: string;
  readonly target: string;
  readonly dlq: string;
}

export interface Verification {
  readonly records: number;
  readonly target: number;
  readonly deadLettered: number;
  readonly onFailure: number;
  /** Acknowledged by the mapping (below its committed offset) yet in no sink: lost. */
  readonly missing: readonly string[];
  /** Never acknowledged: still in the source when the run's time was up (a liveness failure). */
  readonly unprocessed: readonly string[];
  readonly duplicates: number;
  readonly orderViolations: readonly string[];
  /** Outputs that are not what the pipeline makes of their record, and sinks that disagree. */
  readonly inconsistencies: readonly string[];
}

export interface VerifyContext {
  readonly kafka: Kafka;
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
  readonly bucket: string;
  readonly table: string;
  readonly topics: RunTopics;
  readonly onFailurePrefix: string;
}

export async function verifyRun(
  records: readonly ChaosRecord[],
  committed: ReadonlyMap<number, number>,
  context: VerifyContext,
): Promise<Verification> {
  const { kafka, topics } = context;
  const inconsistencies: string[] = [];
  // The truth is what the source topic holds (a producer retry may have written a record twice).
  const produced: ProducedChaosRecord[] = [];
  for (const message of await readTopic(kafka, topics.source, new Map(), 120_000)) {
    const record = records[Number(message.headers[CHAOS_INDEX_HEADER])];
    if (record === undefined)
      inconsistencies.push(`source ${message.partition}:${message.offset} has no chaos index`);
    else produced.push({ record, partition: message.partition, offset: message.offset });
  }
  const inSource = new Set(produced.map((p) => p.record.index));
  for (const record of records) {
    if (!inSource.has(record.index))
      inconsistencies.push(`chaos record ${record.index} never reached the source topic`);
  }
  const bySource = new Map(produced.map((p) => [sourceId(topics.source, p.partition, p.offset), p]));
  const copies = new Map<string, number>();
  const count = (id: string) => copies.set(id, (copies.get(id) ?? 0) + 1);

  // Target: the right bytes for the right record, and per key no first appearance after a later record.
  const targetIds = new Set<string>();
  const lastOffsetByKey = new Map<string, number>();
  const orderViolations: string[] = [];
  const target = (await readTopic(kafka, topics.target, new Map(), 120_000)).sort(
    (a, b) => a.partition - b.partition || a.offset - b.offset,
  );
  for (const record of target) {
    const id = sourceId(
      record.headers[LINEAGE_HEADERS.sourceTopic] ?? "?",
      record.headers[LINEAGE_HEADERS.sourcePartition] ?? "?",
      record.headers[LINEAGE_HEADERS.sourceOffset] ?? "?",
    );
    const source = bySource.get(id);
    count(`target ${id}`);
    if (source === undefined) {
      inconsistencies.push(`target holds ${id}, which the run never produced`);
      continue;
    }
    const actual = record.value === null ? null : JSON.parse(record.value.toString());
    if (source.record.expectedStage !== undefined)
      inconsistencies.push(`${id} (${source.record.kind}) reached the target`);
    else if (JSON.stringify(actual) !== JSON.stringify(source.record.expectedOutput)) {
      inconsistencies.push(`${id}: target value is not the pipeline's output`);
    }
    const key = `${record.partition}/${source.record.key ?? "(none)"}`;
    const last = lastOffsetByKey.get(key) ?? -1;
    const firstTime = !targetIds.has(id);
    if (source.record.key !== null && firstTime && source.offset < last) {
      orderViolations.push(`${id} after offset ${last} of key ${source.record.key}`);
    }
    lastOffsetByKey.set(key, Math.max(last, source.offset));
    targetIds.add(id);
  }

  // Dead letters: DLQ copies, the archive envelope each names, the index item pointing back.
  const dlqOffsets = new Map<string, number[]>();
  const recordIdOf = new Map<string, string>();
  const archiveKeys = new Set<string>();
  for (const message of await readTopic(kafka, topics.dlq, new Map(), 120_000)) {
    const h = message.headers;
    const id = sourceId(
      h[DEAD_LETTER_HEADERS.originalTopic] ?? "?",
      h[DEAD_LETTER_HEADERS.originalPartition] ?? "?",
      h[DEAD_LETTER_HEADERS.originalOffset] ?? "?",
    );
    count(`dlq ${id}`);
    const source = bySource.get(id);
    const stage = h[DEAD_LETTER_HEADERS.stage];
    if (source !== undefined && stage !== source.record.expectedStage && stage !== "retries-exhausted") {
      inconsistencies.push(`${id} (${source.record.kind}) dead-lettered at stage ${stage}`);
    }
    dlqOffsets.set(id, [...(dlqOffsets.get(id) ?? []), message.offset]);
    const recordId = h[DEAD_LETTER_HEADERS.recordId];
    if (recordId !== undefined) recordIdOf.set(id, recordId);
    const archiveKey = h[DEAD_LETTER_HEADERS.archiveKey];
    if (archiveKey === undefined) inconsistencies.push(`${id}: DLQ copy names no archive object`);
    else archiveKeys.add(archiveKey);
  }
  const indexed = await indexItems(context);
  for (const item of indexed) if (item.archiveKey !== "") archiveKeys.add(item.archiveKey);
  const envelopes = await archivedEnvelopes(context, archiveKeys, inconsistencies);
  const indexedIds = new Set<string>();
  for (const item of indexed) {
    const id = sourceId(item.topic, item.partition, item.offset);
    indexedIds.add(id);
    if (!envelopes.has(`${item.archiveKey}#${item.id}`))
      inconsistencies.push(`${id}: index points at an archive object without its envelope`);
    const offsets = dlqOffsets.get(id) ?? [];
    if (item.dlqOffset === undefined) {
      if (item.dlqAbsentReason === undefined)
        inconsistencies.push(`${id}: index item has no DLQ copy and no reason`);
      if (offsets.length > 0)
        inconsistencies.push(`${id}: index says no DLQ copy, the DLQ has ${offsets.length}`);
    } else if (!offsets.includes(item.dlqOffset)) {
      inconsistencies.push(`${id}: index points at DLQ offset ${item.dlqOffset}, not a copy of it`);
    }
  }
  for (const [id, offsets] of dlqOffsets) {
    if (!indexedIds.has(id)) inconsistencies.push(`${id}: ${offsets.length} DLQ copies but no index item`);
    const recordId = recordIdOf.get(id);
    if (recordId !== undefined && ![...envelopes.keys()].some((k) => k.endsWith(`#${recordId}`))) {
      inconsistencies.push(`${id}: no archive envelope for its DLQ copy`);
    }
  }

  // The on-failure destination, read as the demo and the e2e tests read it.
  const onFailure = new Set(
    (
      await locateRecords(kafka, {
        targets: [],
        deadLetters: [],
        onFailure: {
          type: "s3",
          client: context.s3,
          bucket: context.bucket,
          prefix: `${context.onFailurePrefix}/`,
        },
      })
    )
      .filter((p) => p.place === PLACES.onFailure)
      .map((p) => p.source),
  );

  const deadLettered = new Set([...indexedIds].filter((id) => bySource.has(id)));
  const nowhere = [...bySource.entries()].filter(
    ([id]) => !targetIds.has(id) && !deadLettered.has(id) && !onFailure.has(id),
  );
  // Below the group's committed offset, a record was acknowledged: nowhere means lost. At or above
  // it, the mapping never acknowledged it: still in the source, not processed in time.
  const acknowledged = ([, p]: [string, ProducedChaosRecord]) => p.offset < (committed.get(p.partition) ?? 0);
  const missing = nowhere.filter(acknowledged).map(([id]) => id);
  const unprocessed = nowhere.filter((entry) => !acknowledged(entry)).map(([id]) => id);
  let duplicates = 0;
  for (const n of copies.values()) duplicates += n - 1;
  return {
    records: produced.length,
    target: [...targetIds].filter((id) => bySource.has(id)).length,
    deadLettered: deadLettered.size,
    onFailure: [...onFailure].filter((id) => bySource.has(id) && !targetIds.has(id) && !deadLettered.has(id))
      .length,
    missing,
    unprocessed,
    duplicates,
    orderViolations,
    inconsistencies,
  };
}

async function indexItems(context: VerifyContext) {
  const index = DEAD_LETTER_TABLE.byTopicIndex;
  const items = [];
  let start: Record<string, import("@aws-sdk/client-dynamodb").AttributeValue> | undefined;
  do {
    const page = await context.dynamodb.send(
      new QueryCommand({
        TableName: context.table,
        IndexName: index.name,
        KeyConditionExpression: "#pk = :topic",
        ExpressionAttributeNames: { "#pk": index.partitionKey },
        ExpressionAttributeValues: { ":topic": { S: context.topics.source } },
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    );
    items.push(...(page.Items ?? []).map(parseDeadLetterItem));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

/** `<archive key>#<record id>` of every envelope in the named objects. */
async function archivedEnvelopes(
  context: VerifyContext,
  keys: ReadonlySet<string>,
  problems: string[],
): Promise<Set<string>> {
  const found = new Set<string>();
  for (const key of keys) {
    try {
      const object = await context.s3.send(new GetObjectCommand({ Bucket: context.bucket, Key: key }));
      const text = gunzipSync(
        Buffer.from(await (object.Body?.transformToByteArray() ?? Promise.resolve(new Uint8Array()))),
      ).toString();
      for (const line of text.split("\n")) {
        if (line.trim() === "") continue;
        const envelope = JSON.parse(line) as DeadLetterEnvelope;
        found.add(`${key}#${envelope.id}`);
      }
    } catch (error) {
      problems.push(`archive object ${key} cannot be read: ${(error as Error).name}`);
    }
  }
  return found;
}
