/**
 * What an emulator run is given and what it hands back.
 */
import type { S3ClientConfig } from "@aws-sdk/client-s3";
import type { Kafka } from "kafkajs";
import type { EmulatorStats } from "./emulatorStats";
import type { MappingSchemaRegistry } from "./MappingSchemaRegistry";
import type { SandboxFaults } from "./sandbox/SandboxPool";
import type {
  EmulatorLogger,
  KafkaConnection,
  KafkaLambdaHandler,
  MappingSettings,
  OnFailureDestination,
} from "./types";

/** Run the handler module in sandbox processes, as Lambda runs it. */
export interface SandboxOptions {
  /** A JavaScript module (the bundle `bundleHandler()` builds, or any `.js`/`.mjs`). */
  readonly module: string;
  /** @default "handler" */
  readonly exportName?: string;
  /** The function's environment variables (added to the emulator's own environment). */
  readonly environment?: Readonly<Record<string, string>>;
  /** The log stream: START, the function's output, END, REPORT. @default process.stdout */
  readonly functionLog?: (line: string) => void;
  readonly faults?: SandboxFaults;
  /**
   * Sandboxes started and initialized before polling begins, as Lambda's provisioned concurrency
   * keeps environments initialized: their first invocations are warm. @default 0
   */
  readonly provisionedConcurrency?: number;
}

interface CommonOptions {
  readonly connection: KafkaConnection;
  readonly settings: MappingSettings;
  /** Replaces the destination built from `settings.onFailure` (tests, custom sinks). */
  readonly onFailureDestination?: OnFailureDestination;
  /** S3 client settings for an `s3://` destination; the SDK's defaults otherwise. */
  readonly s3?: S3ClientConfig;
  /**
   * Where a consumer group without committed offsets starts, per partition, instead of the starting
   * position: lets a run read exactly the records it produced.
   */
  readonly initialOffsets?: readonly { topic: string; partition: number; offset: number }[];
  readonly logger?: EmulatorLogger;
  /** Called after every invocation and every fetch with new records. */
  readonly onProgress?: (stats: EmulatorStats) => void;
  /** Injected client (tests); built from `connection` otherwise. */
  readonly kafka?: Kafka;
  /** The mapping's schema registry (`KafkaSchemaRegistryConfig`): values are deserialized before delivery. */
  readonly schemaRegistry?: MappingSchemaRegistry;
}

/** Either a handler called in process, or a module run in Lambda-like sandbox processes. */
export type EventSourceMappingEmulatorOptions = CommonOptions &
  (
    | { readonly handler: KafkaLambdaHandler; readonly sandbox?: undefined }
    | { readonly sandbox: SandboxOptions; readonly handler?: undefined }
  );

export interface RunLimits {
  /**
   * Stop once nothing is buffered or being retried, nothing arrived for this long, and the broker
   * answered fetches in that time (a broker that is down never counts as idle).
   */
  readonly untilIdleMs?: number;
  /** Stop after this many invocations. */
  readonly maxBatches?: number;
  readonly signal?: AbortSignal;
}

export const STOP_REASONS = {
  idle: "idle",
  maxBatches: "max-batches",
  signal: "signal",
  stopped: "stopped",
} as const;
export type StopReason = (typeof STOP_REASONS)[keyof typeof STOP_REASONS];

export interface RunResult {
  readonly reason: StopReason;
  readonly stats: EmulatorStats;
  /** Where the on-failure destination wrote (s3:// keys or kafka:// partitions and offsets). */
  readonly onFailureLocations: readonly string[];
}
