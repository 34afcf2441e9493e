/**
 * Validates mapping settings the way AWS does and applies AWS's defaults, so a configuration that
 * works here is one `CreateEventSourceMapping` (and the CDK construct) would accept.
 */
import { EVENT_SOURCES } from "../functions/lib/core/types";
import {
  BATCH_SIZE,
  BATCHING_WINDOW_MS,
  DEFAULT_ACCOUNT_ID,
  DEFAULT_FUNCTION_NAME,
  ITEM_IDENTIFIER_KEYS,
  type ItemIdentifierKey,
  MAX_RECORD_AGE_S,
  MEMORY_SIZE_MB,
  RETRY_ATTEMPTS,
  RETRY_ATTEMPTS_CAP_WITH_DESTINATION,
  STARTING_POSITIONS,
  type StartingPosition,
  TIMEOUT_S,
} from "./constants";
import { MappingSettingError } from "./errors";
import type { EventSourceName, MappingSettings, OnFailureTarget } from "./types";

/** What a caller may set; everything but the topics has AWS's default. */
export interface MappingSettingsInput {
  readonly topics: readonly string[];
  /** @default `emulator-<topics joined by "+">` */
  readonly groupId?: string;
  /** @default "TRIM_HORIZON" */
  readonly startingPosition?: StartingPosition;
  /** @default 100 */
  readonly batchSize?: number;
  /** @default 500 */
  readonly batchingWindowMs?: number;
  /** -1 is infinite. @default -1 */
  readonly retryAttempts?: number;
  /** -1 is infinite. @default -1 */
  readonly maxRecordAgeS?: number;
  /** @default false */
  readonly bisectBatchOnError?: boolean;
  /** @default true */
  readonly reportBatchItemFailures?: boolean;
  /** @default "partition" */
  readonly itemIdentifierKey?: ItemIdentifierKey;
  /** @default false */
  readonly partialFailuresCountAsRetries?: boolean;
  /** `s3://bucket[/prefix]`, `kafka://topic`, or the parsed form. @default none */
  readonly onFailure?: string | OnFailureTarget;
  /** @default 60 */
  readonly timeoutS?: number;
  /** @default "SelfManagedKafka" */
  readonly eventSource?: EventSourceName;
  /** @default a made-up MSK cluster ARN for `aws:kafka`, none for `SelfManagedKafka` */
  readonly eventSourceArn?: string;
  /** @default "kafka-emulated-function" */
  readonly functionName?: string;
  /** @default "us-east-1" */
  readonly region?: string;
  /** @default 100 */
  readonly retryBackoffMs?: number;
  /** Invocations at once, at most one per partition. @default 1 */
  readonly concurrency?: number;
  /** The function's memory size in MB (128-10240). @default 512 */
  readonly memorySizeMb?: number;
}

/**
 * @throws {MappingSettingError} naming the setting and what AWS accepts.
 *
 * @example
 * const settings = resolveMappingSettings({ topics: ["orders"], retryAttempts: 2, bisectBatchOnError: true });
 */
export function resolveMappingSettings(input: MappingSettingsInput): MappingSettings {
  const topics = [...new Set(input.topics.map((t) => t.trim()).filter((t) => t !== ""))];
  if (topics.length === 0) throw new MappingSettingError("topics", "must name at least one topic");
  for (const topic of topics) checkTopicName("topics", topic);

  const onFailure =
    typeof input.onFailure === "string" ? parseOnFailureTarget(input.onFailure) : input.onFailure;
  if (onFailure?.type === "kafka" && topics.includes(onFailure.topic)) {
    throw new MappingSettingError(
      "onFailure",
      `kafka://${onFailure.topic} is a source topic; Lambda refuses that loop`,
    );
  }

  const retryAttempts = integer(
    "retryAttempts",
    input.retryAttempts ?? RETRY_ATTEMPTS.default,
    -1,
    RETRY_ATTEMPTS.max,
  );
  const maxRecordAgeS = integer(
    "maxRecordAgeS",
    input.maxRecordAgeS ?? MAX_RECORD_AGE_S.default,
    -1,
    MAX_RECORD_AGE_S.max,
  );
  if (maxRecordAgeS !== -1 && maxRecordAgeS < MAX_RECORD_AGE_S.min) {
    throw new MappingSettingError(
      "maxRecordAgeS",
      `must be -1 (infinite) or ${MAX_RECORD_AGE_S.min}..${MAX_RECORD_AGE_S.max}, got ${maxRecordAgeS}`,
    );
  }
  const eventSource = input.eventSource ?? EVENT_SOURCES.selfManaged;
  if (eventSource !== EVENT_SOURCES.msk && eventSource !== EVENT_SOURCES.selfManaged) {
    throw new MappingSettingError(
      "eventSource",
      `must be "aws:kafka" or "SelfManagedKafka", got "${String(eventSource)}"`,
    );
  }
  const region = input.region ?? "us-east-1";
  const startingPosition = input.startingPosition ?? "TRIM_HORIZON";
  if (!STARTING_POSITIONS.includes(startingPosition)) {
    throw new MappingSettingError(
      "startingPosition",
      `must be one of ${STARTING_POSITIONS.join(", ")}, got "${startingPosition}"`,
    );
  }
  const itemIdentifierKey = input.itemIdentifierKey ?? "partition";
  if (!ITEM_IDENTIFIER_KEYS.includes(itemIdentifierKey)) {
    throw new MappingSettingError(
      "itemIdentifierKey",
      `must be one of ${ITEM_IDENTIFIER_KEYS.join(", ")}, got "${itemIdentifierKey}"`,
    );
  }
  const functionName = input.functionName ?? DEFAULT_FUNCTION_NAME;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(functionName)) {
    throw new MappingSettingError(
      "functionName",
      `must be 1-64 letters, digits, "-" or "_", got "${functionName}"`,
    );
  }

  return {
    topics,
    groupId: input.groupId?.trim() || `emulator-${topics.join("+")}`,
    startingPosition,
    batchSize: integer("batchSize", input.batchSize ?? BATCH_SIZE.default, BATCH_SIZE.min, BATCH_SIZE.max),
    batchingWindowMs: integer(
      "batchingWindowMs",
      input.batchingWindowMs ?? BATCHING_WINDOW_MS.default,
      BATCHING_WINDOW_MS.min,
      BATCHING_WINDOW_MS.max,
    ),
    // AWS caps infinite retries when a destination would otherwise never be reached.
    retryAttempts:
      retryAttempts === RETRY_ATTEMPTS.infinite && onFailure !== undefined
        ? RETRY_ATTEMPTS_CAP_WITH_DESTINATION
        : retryAttempts,
    maxRecordAgeS,
    bisectBatchOnError: input.bisectBatchOnError ?? false,
    reportBatchItemFailures: input.reportBatchItemFailures ?? true,
    itemIdentifierKey,
    partialFailuresCountAsRetries: input.partialFailuresCountAsRetries ?? false,
    onFailure,
    timeoutMs: Math.round(
      numberIn("timeoutS", input.timeoutS ?? TIMEOUT_S.default, TIMEOUT_S.min, TIMEOUT_S.max) * 1000,
    ),
    eventSource,
    eventSourceArn:
      eventSource === EVENT_SOURCES.msk
        ? (input.eventSourceArn ??
          `arn:aws:kafka:${region}:${DEFAULT_ACCOUNT_ID}:cluster/local/00000000-0000-0000-0000-000000000000-1`)
        : undefined,
    functionName,
    region,
    retryBackoffMs: integer("retryBackoffMs", input.retryBackoffMs ?? 100, 0, 60_000),
    concurrency: integer("concurrency", input.concurrency ?? 1, 1, 1_000),
    memorySizeMb: integer(
      "memorySizeMb",
      input.memorySizeMb ?? MEMORY_SIZE_MB.default,
      MEMORY_SIZE_MB.min,
      MEMORY_SIZE_MB.max,
    ),
  };
}

/**
 * `s3://bucket[/prefix]` or `kafka://topic`, the forms the CLI and AWS's `--destination-config` use.
 *
 * @example
 * parseOnFailureTarget("s3://dead-letters-local/on-failure"); // { type: "s3", bucket: "dead-letters-local", prefix: "on-failure" }
 */
export function parseOnFailureTarget(text: string): OnFailureTarget {
  const match = /^(s3|kafka):\/\/([^/]+)(?:\/(.*))?$/.exec(text.trim());
  if (match === null) {
    throw new MappingSettingError(
      "onFailure",
      `must be s3://bucket[/prefix] or kafka://topic, got "${text}"`,
    );
  }
  const [, scheme, name = "", rest = ""] = match;
  if (scheme === "kafka") {
    if (rest !== "")
      throw new MappingSettingError("onFailure", `kafka://${name}/${rest}: a topic name has no "/"`);
    checkTopicName("onFailure", name);
    return { type: "kafka", topic: name };
  }
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) {
    throw new MappingSettingError("onFailure", `"${name}" is not a valid S3 bucket name`);
  }
  return { type: "s3", bucket: name, prefix: rest.replace(/\/+$/, "") };
}

/** `arn:aws:lambda:<region>:<account>:function:<name>`, with the account AWS's docs use for examples. */
export function functionArnOf(settings: Pick<MappingSettings, "region" | "functionName">): string {
  return `arn:aws:lambda:${settings.region}:${DEFAULT_ACCOUNT_ID}:function:${settings.functionName}`;
}

function checkTopicName(setting: string, topic: string): void {
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(topic)) {
    throw new MappingSettingError(setting, `"${topic}" is not a valid Kafka topic name`);
  }
}

function integer(setting: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new MappingSettingError(setting, `must be an integer in ${min}..${max}, got ${value}`);
  }
  return value;
}

function numberIn(setting: string, value: number, min: number, max: number): number {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new MappingSettingError(setting, `must be a number in ${min}..${max}, got ${value}`);
  }
  return value;
}
