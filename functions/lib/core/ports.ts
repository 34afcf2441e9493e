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
  send(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
}

/** Durable copy of dead letters (S3 in AWS). */
export interface DeadLetterArchive {
  /** Writes (or overwrites) one object holding the envelopes as JSON Lines. */
  put(key: string, envelopes: readonly DeadLetterEnvelope[]): Promise<void>;
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
