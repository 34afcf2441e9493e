/**
 * Domain types of a Kafka batch as Lambda delivers it and as the pipeline sees it.
 * Facts behind them: ../shared/KAFKA-LAMBDA-FACTS.md section 1.
 */
import type { FailureStage } from "./errors";

export const EVENT_SOURCES = {
  msk: "aws:kafka",
  selfManaged: "SelfManagedKafka",
} as const;
export type EventSource = (typeof EVENT_SOURCES)[keyof typeof EVENT_SOURCES];

/** One header as Lambda sends it: a single-entry object whose value is the raw bytes. */
export type KafkaEventHeader = Readonly<Record<string, readonly number[]>>;

/** A record exactly as it appears in the invocation event. */
export interface KafkaEventRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly timestampType: string;
  readonly key?: string | null;
  readonly value?: string | null;
  readonly headers?: readonly KafkaEventHeader[];
  readonly keySchemaMetadata?: unknown;
  readonly valueSchemaMetadata?: unknown;
}

/** The invocation event of an MSK or self-managed Kafka event source mapping. */
export interface KafkaEvent {
  readonly eventSource: EventSource;
  readonly eventSourceArn?: string;
  readonly bootstrapServers?: string;
  readonly records: Readonly<Record<string, readonly KafkaEventRecord[]>>;
}

export interface RecordHeader {
  readonly name: string;
  readonly value: Buffer;
}

/**
 * What a mapping with a schema registry (provisioned mode) says about a record's key or value:
 * `dataFormat` (`AVRO`, `PROTOBUF`, `JSON`) and `schemaId` (the Confluent id or the Glue schema
 * version UUID). https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html
 */
export interface SchemaMetadata {
  readonly dataFormat: string;
  readonly schemaId: string;
}

/**
 * A record with its bytes decoded from base64 but otherwise untouched, so a dead letter can carry
 * exactly what was consumed. `key`/`value` are null when the event had them absent or null.
 */
export interface SourceRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly timestampType: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];
  /** Present when the mapping validated the key / value against a schema registry. */
  readonly keySchemaMetadata?: SchemaMetadata | undefined;
  readonly valueSchemaMetadata?: SchemaMetadata | undefined;
}

/** A topic-partition's records in offset order, keyed the way Lambda identifies them. */
export interface PartitionBatch {
  /** `<topic>-<partition>`, the identifier Lambda expects back in a partial batch response. */
  readonly id: string;
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly SourceRecord[];
}

export interface DecodedBatch {
  readonly eventSource: EventSource;
  readonly eventSourceArn: string | undefined;
  readonly bootstrapServers: string | undefined;
  readonly partitions: readonly PartitionBatch[];
  readonly recordCount: number;
}

/** A record ready for a Kafka topic; `partition` is a wish the sink honours when it can. */
export interface OutgoingMessage {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];
  readonly preferredPartition?: number;
  readonly timestamp?: number;
}

/** Which Lambda invocation handled a batch; stored on every dead letter. */
export interface InvocationInfo {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly requestId: string;
  readonly eventSource: EventSource;
  readonly eventSourceArn: string | undefined;
}

/** What happened to a record; every record of a batch gets exactly one. */
export const OUTCOMES = {
  produced: "produced",
  deadLettered: "dead-lettered",
  retry: "retry",
} as const;
export type OutcomeKind = (typeof OUTCOMES)[keyof typeof OUTCOMES];

export interface ProducedOutcome {
  readonly kind: typeof OUTCOMES.produced;
  readonly record: SourceRecord;
  readonly targetTopic: string;
}

export interface DeadLetteredOutcome {
  readonly kind: typeof OUTCOMES.deadLettered;
  readonly record: SourceRecord;
  readonly stage: FailureStage;
  readonly errorClass: string;
  readonly archiveKey: string;
  readonly dlqTopic: string;
}

export interface RetryOutcome {
  readonly kind: typeof OUTCOMES.retry;
  readonly record: SourceRecord;
  /** Why the record is not done: its own failure, or a failure earlier in its ordered partition. */
  readonly reason: string;
  readonly errorClass: string;
  /**
   * True when an attempt of this record's own failed (its write was refused, its transform asked
   * to retry); false when it only waited for an earlier record or ran out of the invocation's time.
   * The attempt ledger counts only the former.
   */
  readonly ownFailure: boolean;
}

export type RecordOutcome = ProducedOutcome | DeadLetteredOutcome | RetryOutcome;

/** The partial batch response Lambda reads back. */
export interface BatchItemFailure {
  readonly itemIdentifier: Readonly<Record<string, string | number>>;
}

export interface KafkaBatchResponse {
  readonly batchItemFailures: readonly BatchItemFailure[];
}
