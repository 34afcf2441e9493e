/**
 * The documents a Kafka event source mapping writes to its on-failure destination
 * (../shared/KAFKA-LAMBDA-FACTS.md section 3). Pure: building them needs no I/O.
 *
 * S3 gets one document per failed batch, with the whole invocation event as a JSON string in
 * `payload`. A Kafka destination gets one message per failed record: the original key, and the same
 * metadata for a one-record batch with that record's event in `payload` (also a JSON string here:
 * AWS's page does not say whether it is nested; a consumer that parses strings handles both).
 */
import { createHash } from "node:crypto";
import { FAILURE_CONDITIONS, ON_FAILURE_DOCUMENT_VERSION } from "./constants";
import { buildInvocationEvent, type EventEnvelope, partitionId, payloadBytes } from "./eventBuilder";
import type { FailedBatch, PolledRecord } from "./types";

export interface FailureDocumentContext {
  readonly envelope: EventEnvelope;
  readonly functionArn: string;
}

export interface RecordsInfo {
  readonly firstRecordOffset: string;
  readonly lastRecordOffset: string;
  readonly firstRecordArrivalTime: string;
  readonly lastRecordArrivalTime: string;
}

interface DocumentHead {
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: string;
    readonly approximateInvokeCount: number;
  };
  readonly responseContext: {
    readonly statusCode?: number;
    readonly executedVersion: string;
    readonly functionError?: string;
  };
  readonly version: string;
  readonly timestamp: string;
}

export interface S3FailureDocument extends DocumentHead {
  readonly KafkaBatchInfo: {
    readonly batchSize: number;
    readonly eventSourceArn?: string;
    readonly bootstrapServers: string;
    readonly payloadSize: number;
    readonly recordsInfo: Readonly<Record<string, RecordsInfo>>;
  };
  /** The whole invocation event, serialized. */
  readonly payload: string;
}

export interface KafkaFailureDocument extends DocumentHead {
  readonly KafkaBatchInfo: {
    readonly batchSize: 1;
    readonly eventSourceArn?: string;
    readonly bootstrapServers: string;
    readonly payloadSize: number;
    readonly recordInfo: { readonly offset: string; readonly timestamp: string };
  };
  /** A one-record invocation event, serialized. */
  readonly payload: string;
}

/**
 * The S3 document of one failed batch.
 *
 * @example
 * const doc = buildS3FailureDocument(failed, { envelope, functionArn });
 * JSON.parse(doc.payload).records; // the batch as the function received it
 */
export function buildS3FailureDocument(
  batch: FailedBatch,
  context: FailureDocumentContext,
): S3FailureDocument {
  const recordsInfo: Record<string, RecordsInfo> = {};
  for (const [id, records] of groupByPartition(batch.records)) {
    const first = records[0] as PolledRecord;
    const last = records[records.length - 1] as PolledRecord;
    recordsInfo[id] = {
      firstRecordOffset: String(first.offset),
      lastRecordOffset: String(last.offset),
      firstRecordArrivalTime: recordTime(first.timestamp),
      lastRecordArrivalTime: recordTime(last.timestamp),
    };
  }
  const payload = JSON.stringify(buildInvocationEvent(batch.records, context.envelope));
  return {
    ...documentHead(batch, context),
    KafkaBatchInfo: {
      batchSize: batch.records.length,
      ...arnOf(context.envelope),
      bootstrapServers: context.envelope.bootstrapServers,
      payloadSize: payloadBytes(batch.records, context.envelope),
      recordsInfo,
    },
    payload,
  };
}

/** One Kafka destination message per record of the failed batch, with the record's original key. */
export function buildKafkaFailureMessages(
  batch: FailedBatch,
  context: FailureDocumentContext,
): { key: Buffer | null; value: string }[] {
  const head = documentHead(batch, context);
  return batch.records.map((record) => {
    const document: KafkaFailureDocument = {
      ...head,
      KafkaBatchInfo: {
        batchSize: 1,
        ...arnOf(context.envelope),
        bootstrapServers: context.envelope.bootstrapServers,
        payloadSize: payloadBytes([record], context.envelope),
        recordInfo: { offset: String(record.offset), timestamp: recordTime(record.timestamp) },
      },
      payload: JSON.stringify(buildInvocationEvent([record], context.envelope)),
    };
    return { key: record.key, value: JSON.stringify(document) };
  });
}

/**
 * Object key shaped like AWS's for stream and Kafka mappings:
 * `aws/lambda/<mapping-uuid>/<topic-partition>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<uuid>`, under an
 * optional prefix (AWS has none; it helps share a bucket locally).
 */
export function s3FailureObjectKey(prefix: string, mappingUuid: string, batch: FailedBatch): string {
  const first = batch.records[0];
  const partition = first === undefined ? "empty" : partitionId(first);
  const iso = batch.failedAt.toISOString();
  const [date = "", time = ""] = iso.split("T");
  const stamp = `${date}T${time.slice(0, 8).replaceAll(":", ".")}`;
  const unique = createHash("sha256")
    .update(`${batch.requestId}:${partition}:${first?.offset ?? ""}`)
    .digest("hex")
    .slice(0, 32);
  const name = `aws/lambda/${mappingUuid}/${partition}/${date.replaceAll("-", "/")}/${stamp}-${asUuid(unique)}`;
  return prefix === "" ? name : `${prefix.replace(/\/+$/, "")}/${name}`;
}

/** A stable UUID for a mapping, from its consumer group, so object keys are the same across runs. */
export function mappingUuid(groupId: string): string {
  return asUuid(createHash("sha256").update(`mapping:${groupId}`).digest("hex").slice(0, 32));
}

function asUuid(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function documentHead(batch: FailedBatch, context: FailureDocumentContext): DocumentHead {
  const invoked = batch.invokeCount > 0;
  return {
    requestContext: {
      requestId: batch.requestId,
      functionArn: context.functionArn,
      condition: batch.condition,
      approximateInvokeCount: batch.invokeCount,
    },
    responseContext: {
      // Never invoked: too large to send (413, as Lambda's RequestEntityTooLarge) or too old.
      ...(invoked
        ? { statusCode: 200 }
        : batch.condition === FAILURE_CONDITIONS.payloadTooLarge
          ? { statusCode: 413 }
          : {}),
      executedVersion: "$LATEST",
      ...(batch.functionError === undefined ? {} : { functionError: batch.functionError }),
    },
    version: ON_FAILURE_DOCUMENT_VERSION,
    timestamp: batch.failedAt.toISOString(),
  };
}

/**
 * A record's Kafka timestamp as ISO time, or as its raw milliseconds when no Date can hold it (a
 * producer writing nanoseconds): one such record must not stop its whole batch from reaching the
 * destination. AWS does not document what it writes then.
 */
function recordTime(timestamp: number): string {
  const date = new Date(timestamp);
  return Number.isNaN(date.getTime()) ? String(timestamp) : date.toISOString();
}

function arnOf(envelope: EventEnvelope): { eventSourceArn?: string } {
  return envelope.eventSourceArn === undefined ? {} : { eventSourceArn: envelope.eventSourceArn };
}

function groupByPartition(records: readonly PolledRecord[]): Map<string, PolledRecord[]> {
  const groups = new Map<string, PolledRecord[]>();
  for (const record of [...records].sort((a, b) => a.offset - b.offset)) {
    const id = partitionId(record);
    const group = groups.get(id) ?? [];
    group.push(record);
    groups.set(id, group);
  }
  return groups;
}
