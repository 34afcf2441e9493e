import type { Context } from "aws-lambda";
import type { KafkaEvent, KafkaEventRecord } from "../functions/lib/core/types";
import type { FailureCondition, ItemIdentifierKey, StartingPosition } from "./constants";

export type EventSourceName = KafkaEvent["eventSource"];

/** Any Lambda handler for a Kafka event: async, Node 24 runtimes have no callback handlers. */
export type KafkaLambdaHandler = (event: KafkaEvent, context: Context) => unknown;

/** A record as the poller read it: its coordinates, its bytes and its event form, built once. */
export interface PolledRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  /** The record exactly as it appears in an invocation event. */
  readonly event: KafkaEventRecord;
  /** `event` serialized as JSON, once. */
  readonly eventJson: string;
  /** Bytes of `eventJson`, for the payload cap. */
  readonly eventBytes: number;
}

/** Where a batch goes once its retries or its records' age run out. */
export type OnFailureTarget =
  | { readonly type: "s3"; readonly bucket: string; readonly prefix: string }
  | { readonly type: "kafka"; readonly topic: string };

export interface SaslSettings {
  readonly mechanism: "plain" | "scram-sha-256" | "scram-sha-512";
  readonly username: string;
  readonly password: string;
}

/** How to reach the source cluster. */
export interface KafkaConnection {
  readonly brokers: readonly string[];
  readonly ssl: boolean;
  readonly sasl: SaslSettings | undefined;
  readonly clientId: string;
}

/**
 * Everything an event source mapping is configured with, validated and with defaults applied.
 * Names follow the CDK props (`batchSize`, `maxBatchingWindow`, `retryAttempts`, ...).
 */
export interface MappingSettings {
  readonly topics: readonly string[];
  readonly groupId: string;
  readonly startingPosition: StartingPosition;
  readonly batchSize: number;
  readonly batchingWindowMs: number;
  /** -1 is infinite; already capped at 10 when infinite with an on-failure destination. */
  readonly retryAttempts: number;
  /** -1 is infinite. */
  readonly maxRecordAgeS: number;
  readonly bisectBatchOnError: boolean;
  /** `FunctionResponseTypes: ["ReportBatchItemFailures"]`. */
  readonly reportBatchItemFailures: boolean;
  readonly itemIdentifierKey: ItemIdentifierKey;
  /**
   * Whether a partial response uses up a retry attempt of the records it redelivers. AWS's Kafka
   * pages count only function errors, so the default is false; the stream mappings count both.
   */
  readonly partialFailuresCountAsRetries: boolean;
  readonly onFailure: OnFailureTarget | undefined;
  readonly timeoutMs: number;
  readonly eventSource: EventSourceName;
  /** Set for `aws:kafka` only, like AWS. */
  readonly eventSourceArn: string | undefined;
  readonly functionName: string;
  readonly region: string;
  /**
   * Invocations at once, never two for the same partition (Lambda scales up to one per partition).
   */
  readonly concurrency: number;
  /** First delay between retries of a failed batch; doubles up to 5 s. */
  readonly retryBackoffMs: number;
  /** The function's memory size: `context.memoryLimitInMB`, and the sandbox's heap and RSS limits. */
  readonly memorySizeMb: number;
}

/** How one invocation ended, before the mapping's rules are applied. */
export type InvocationOutcome =
  | { readonly kind: "returned"; readonly value: unknown }
  | { readonly kind: "threw"; readonly error: unknown }
  | { readonly kind: "timed-out"; readonly timeoutMs: number }
  | {
      /** The runtime process went away mid-invocation (exit, crash, out of memory, killed). */
      readonly kind: "runtime-exited";
      /** `Runtime.ExitError` or `Runtime.OutOfMemory`, as Lambda reports them. */
      readonly errorType: string;
      /** e.g. `Runtime exited with error: signal: killed`. */
      readonly message: string;
    };

/** A batch that failed for good, as the on-failure destination receives it. */
export interface FailedBatch {
  readonly records: readonly PolledRecord[];
  readonly condition: FailureCondition;
  readonly requestId: string;
  /** Invocations made with these records (0 when they were never sent, e.g. too old). */
  readonly invokeCount: number;
  /** The last invocation's error class (`Unhandled`, or the thrown error's name). */
  readonly functionError: string | undefined;
  readonly failedAt: Date;
}

/** Where exhausted batches are written; `deliver` resolves with the locations written. */
export interface OnFailureDestination {
  readonly description: string;
  deliver(batch: FailedBatch): Promise<string[]>;
  close(): Promise<void>;
}

/** Structured log lines of the emulator; attributes never carry record payloads. */
export interface EmulatorLogger {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}
