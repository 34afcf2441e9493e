/**
 * What the core needs from the outside world. Adapters implement these and translate vendor errors
 * into the pipeline's error model at the boundary (retriable or not), so the core never sees an SDK.
 */
import type { DeadLetterEnvelope } from "./deadLetter";
import type { OutgoingMessage } from "./types";

/** Writes records to a Kafka topic with acks from all in-sync replicas. */
export interface MessageSink {
  /**
   * Resolves once every message is acknowledged. Rejects with a retriable error when trying again
   * may help (broker down, unknown topic, timeout) and a non-retriable `ProduceRejectedError` when
   * the broker refuses the records themselves (too large, invalid).
   */
  send(topic: string, messages: readonly OutgoingMessage[]): Promise<readonly DeliveryReceipt[]>;
}

/** Where the broker stored a message; receipts come back in the order the messages were given. */
export interface DeliveryReceipt {
  readonly partition: number;
  readonly offset: number;
}

/** Durable copy of dead letters (S3 in AWS). */
export interface DeadLetterArchive {
  /** Writes (or overwrites) one object holding the envelopes as JSON Lines. */
  put(key: string, envelopes: readonly DeadLetterEnvelope[]): Promise<void>;
}

/** One dead letter as the queryable index records it. */
export interface DeadLetterIndexEntry {
  readonly envelope: DeadLetterEnvelope;
  /** Zero-based line of the envelope in its archive object. */
  readonly archiveLine: number;
  /** Where the DLQ topic stored it; undefined when the topic refused the copy for good. */
  readonly dlq: DeliveryReceipt | undefined;
  /** Why there is no DLQ copy (the broker's refusal); the archive then holds the only copy. */
  readonly dlqAbsentReason?: string;
  /** How often the record was already redriven (from its redrive headers). */
  readonly redriveCount: number;
}

/** A dead letter in its archive object, before its DLQ copy is written. */
export interface DeadLetterIndexLetter {
  readonly envelope: DeadLetterEnvelope;
  /** Zero-based line of the envelope in its archive object. */
  readonly archiveLine: number;
}

/** What an index found out ahead of a write ({@link DeadLetterIndex.lookup}); only its index reads it. */
export type DeadLetterIndexLookup = object;

/** The answer of {@link DeadLetterIndex.indexedBefore}. */
export interface IndexedBefore {
  /** True only when an earlier delivery stored exactly these dead letters, a DLQ copy of each included. */
  readonly indexed: boolean;
  /** What the check read, for {@link DeadLetterIndex.lookup} to go on from. */
  readonly known: DeadLetterIndexLookup;
}

/** The queryable view of dead letters (DynamoDB in AWS), written with the dead letters themselves. */
export interface DeadLetterIndex {
  /**
   * Reads ahead what `record` needs to know of these dead letters (which are indexed already), so
   * the read can overlap the DLQ write. Optional: without it, `record` reads for itself.
   */
  lookup?(
    letters: readonly DeadLetterIndexLetter[],
    known?: DeadLetterIndexLookup,
  ): Promise<DeadLetterIndexLookup>;
  /**
   * Whether an earlier delivery indexed exactly these dead letters (the same archive object, the
   * same lines), each with its DLQ copy, once all of it was durable: a redelivery of the same
   * batch, whose dead letters are in every sink already, so none is written again. Asked before the
   * DLQ copies are sent; optional (without it a redelivery sends its copies again and `record`
   * finds the items).
   */
  indexedBefore?(letters: readonly DeadLetterIndexLetter[]): Promise<IndexedBefore>;
  /** Indexes the dead letters; `lookup` is a result of {@link lookup} for a superset of them. */
  record(entries: readonly DeadLetterIndexEntry[], lookup?: DeadLetterIndexLookup): Promise<void>;
}

/**
 * Counts transient failures of a record across invocations, so a record that keeps failing is
 * dead-lettered instead of blocking its partition until the mapping gives up on the whole batch.
 */
export interface AttemptLedger {
  /** Adds one failure and returns how many the record has had, this one included. */
  recordTransientFailure(recordId: string, reason: string): Promise<number>;
}

/** Remembers records already written to their target topic, so a redelivery does not write them twice. */
export interface ProducedRecordStore {
  /** The ids, among those given, that were already produced. */
  findProduced(recordIds: readonly string[]): Promise<ReadonlySet<string>>;
  markProduced(recordIds: readonly string[]): Promise<void>;
}

/** The subset of Powertools Logger the core uses; attributes never carry payloads. */
export interface ProcessorLogger {
  debug(message: string, ...attributes: Record<string, unknown>[]): void;
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
  error(message: string, ...attributes: Record<string, unknown>[]): void;
}

export const silentLogger: ProcessorLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
