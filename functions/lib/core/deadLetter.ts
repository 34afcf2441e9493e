import type { DecodedRecord } from "./decodeEvent";
import { errorClassName, type FailureStage, SchemaDecodeError, type SchemaReference } from "./errors";
import { DEAD_LETTER_HEADER_PREFIX, DEAD_LETTER_HEADERS } from "./headers";
import { recordId } from "./recordIdentity";
import type { InvocationInfo, OutgoingMessage, RecordHeader, SchemaMetadata } from "./types";

export const DEAD_LETTER_ENVELOPE_VERSION = 1;

/**
 * One dead letter as archived in S3 (one JSON line each): everything needed to understand and
 * replay the record without any other system. The DLQ topic carries the same facts as headers.
 */
export interface DeadLetterEnvelope {
  readonly version: typeof DEAD_LETTER_ENVELOPE_VERSION;
  /**
   * `<topic>:<partition>:<offset>@<tag>` (`recordId`): stable across redeliveries of the record, so
   * indexes de-duplicate, and different for another record at the same coordinates (another
   * cluster, a re-created topic). Envelopes written before 2026-12 have no `@<tag>`.
   */
  readonly id: string;
  readonly source: {
    readonly topic: string;
    readonly partition: number;
    readonly offset: number;
    readonly timestamp: number;
    readonly timestampType: string;
    readonly eventSource: string;
    readonly eventSourceArn: string | null;
    /** `clusterIdentity`: the MSK cluster ARN or the sorted bootstrap servers. */
    readonly cluster?: string;
  };
  readonly error: {
    readonly stage: FailureStage;
    readonly class: string;
    readonly message: string;
    /** The schema a schema-registry record failed to decode with (`SchemaDecodeError`). */
    readonly schema?: SchemaReference;
  };
  readonly attempts: number;
  readonly failedAt: string;
  readonly invocation: {
    readonly functionName: string;
    readonly functionVersion: string;
    readonly requestId: string;
  };
  readonly dlqTopic: string;
  readonly archiveKey: string;
  /** The record as consumed: base64 exactly as Lambda delivered it, null where absent or null. */
  readonly record: {
    readonly key: string | null;
    readonly value: string | null;
    readonly headers: readonly { readonly name: string; readonly value: string }[];
    /** What the mapping's schema registry said about the key / value, exactly as it said it. */
    readonly keySchemaMetadata?: SchemaMetadata;
    readonly valueSchemaMetadata?: SchemaMetadata;
  };
}

export interface DeadLetterFailure {
  readonly stage: FailureStage;
  readonly error: unknown;
  readonly attempts: number;
}

export interface DeadLetterContext {
  readonly invocation: InvocationInfo;
  readonly cluster: string;
  readonly dlqTopic: string;
  readonly archiveKey: string;
  readonly failedAt: Date;
  readonly maxErrorMessageLength: number;
}

export function buildDeadLetterEnvelope(
  record: DecodedRecord,
  failure: DeadLetterFailure,
  context: DeadLetterContext,
): DeadLetterEnvelope {
  const { raw } = record;
  return {
    version: DEAD_LETTER_ENVELOPE_VERSION,
    id: recordId(context.cluster, record),
    source: {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      timestamp: record.timestamp,
      timestampType: record.timestampType,
      eventSource: context.invocation.eventSource,
      eventSourceArn: context.invocation.eventSourceArn ?? null,
      cluster: context.cluster,
    },
    error: {
      stage: failure.stage,
      class: errorClassName(failure.error),
      message: errorMessage(failure.error, context.maxErrorMessageLength),
      ...(failure.error instanceof SchemaDecodeError ? { schema: failure.error.schema } : {}),
    },
    attempts: failure.attempts,
    failedAt: context.failedAt.toISOString(),
    invocation: {
      functionName: context.invocation.functionName,
      functionVersion: context.invocation.functionVersion,
      requestId: context.invocation.requestId,
    },
    dlqTopic: context.dlqTopic,
    archiveKey: context.archiveKey,
    record: {
      key: typeof raw.key === "string" ? raw.key : null,
      value: typeof raw.value === "string" ? raw.value : null,
      headers: record.headers.map((h) => ({ name: h.name, value: h.value.toString("base64") })),
      ...(record.keySchemaMetadata === undefined ? {} : { keySchemaMetadata: record.keySchemaMetadata }),
      ...(record.valueSchemaMetadata === undefined
        ? {}
        : { valueSchemaMetadata: record.valueSchemaMetadata }),
    },
  };
}

/**
 * The message written to the DLQ topic: the original key, value and headers byte for byte, previous
 * dead-letter headers replaced by this failure's, and the source partition as the preferred one.
 */
export function buildDeadLetterMessage(record: DecodedRecord, envelope: DeadLetterEnvelope): OutgoingMessage {
  const kept = record.headers.filter((h) => !h.name.startsWith(DEAD_LETTER_HEADER_PREFIX));
  return {
    key: record.key ?? rawBytes(record.raw.key),
    value: record.value ?? rawBytes(record.raw.value),
    headers: [...kept, ...deadLetterHeaders(envelope)],
    preferredPartition: record.partition,
  };
}

export function deadLetterHeaders(envelope: DeadLetterEnvelope): RecordHeader[] {
  const h = DEAD_LETTER_HEADERS;
  const entries: [string, string][] = [
    [h.recordId, envelope.id],
    [h.originalTopic, envelope.source.topic],
    [h.originalPartition, String(envelope.source.partition)],
    [h.originalOffset, String(envelope.source.offset)],
    [h.originalTimestamp, String(envelope.source.timestamp)],
    [h.originalTimestampType, envelope.source.timestampType],
    [h.stage, envelope.error.stage],
    [h.errorClass, envelope.error.class],
    [h.errorMessage, envelope.error.message],
    [h.attempts, String(envelope.attempts)],
    [h.failedAt, envelope.failedAt],
    [h.functionName, envelope.invocation.functionName],
    [h.requestId, envelope.invocation.requestId],
    [h.archiveKey, envelope.archiveKey],
    [h.envelopeVersion, String(envelope.version)],
  ];
  return entries.map(([name, value]) => ({ name, value: Buffer.from(value, "utf8") }));
}

/**
 * S3 key of a partition's dead letters in one invocation: Hive-style prefix for Athena, and a name
 * made only of the topic, partition and offsets (the date comes from the first record's timestamp,
 * not the clock), so a retried invocation overwrites the object instead of archiving twice.
 */
export function archiveObjectKey(
  prefix: string,
  records: readonly Pick<DecodedRecord, "topic" | "partition" | "offset" | "timestamp">[],
): string {
  const first = records[0];
  if (first === undefined) throw new RangeError("an archive object needs at least one record");
  let lowest = first;
  let highest = first.offset;
  for (const record of records) {
    if (record.offset < lowest.offset) lowest = record;
    if (record.offset > highest) highest = record.offset;
  }
  const date = isoDay(lowest.timestamp);
  const { topic, partition } = first;
  return `${prefix}/topic=${topic}/date=${date}/${topic}-${partition}-${lowest.offset}-${highest}.jsonl.gz`;
}

/** The UTC day of a Kafka timestamp; `unknown` for one no Date can hold, which must not crash a batch. */
function isoDay(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? "unknown" : date.toISOString().slice(0, 10);
}

function errorMessage(error: unknown, maxLength: number): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length <= maxLength ? message : `${message.slice(0, maxLength - 1)}…`;
}

function rawBytes(field: string | null | undefined): Buffer | null {
  return typeof field === "string" ? Buffer.from(field, "utf8") : null;
}
