import { type Duration, type RemovalPolicy, Token } from "aws-cdk-lib";
import { StartingPosition } from "aws-cdk-lib/aws-lambda";
import type { RetentionDays } from "aws-cdk-lib/aws-logs";
import { FAILURE_KEY_NAMES, type FailureKeyName } from "../../functions/lib/config";
import { DEFAULT_METRICS_NAMESPACE, DEFAULT_SERVICE_NAME } from "../../functions/lib/metricNames";
import { resolveCanary } from "./canarySettings";
import { DEFAULT_SOURCE_TOPICS, DEFAULTS, KAFKA_MAPPING_MAX_TIMEOUT, ON_FAILURE_S3_PREFIX } from "./defaults";
import { PipelinePropsError } from "./errors";
import type { KafkaLambdaPipelineProps } from "./KafkaLambdaPipeline";
import { resolveSchemaRegistry } from "./mappingSchemaRegistry";
import { integer, nonEmpty } from "./propChecks";
import { resolveLifecycle } from "./resolveLifecycle";
import { type ResolvedPipeline, resolvePipelines, validateOnFailure } from "./resolvePipelines";
import type {
  ArchiveLifecycle,
  AwsServiceAccess,
  KafkaSource,
  MappingSchemaRegistry,
  OnFailureDestination,
  RedriveFunctionOptions,
} from "./types";
import { validateAwsServiceAccess, validateSource } from "./validateSource";

export type { ResolvedPipeline } from "./resolvePipelines";

export interface ResolvedSettings {
  readonly source: KafkaSource;
  readonly pipelines: readonly ResolvedPipeline[];
  readonly minimumPollers: number;
  readonly maximumPollers: number;
  readonly pollerGroupName: string | undefined;
  readonly batchSize: number;
  readonly maxBatchingWindow: Duration;
  readonly startingPosition: StartingPosition;
  readonly retryAttempts: number;
  readonly maxRecordAge: Duration | undefined;
  readonly bisectBatchOnError: boolean;
  readonly onFailure: OnFailureDestination;
  readonly failureKeyName: FailureKeyName;
  readonly ordered: boolean;
  readonly throwOnFullBatchFailure: boolean;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly logRetention: RetentionDays;
  readonly serviceName: string;
  readonly metricsNamespace: string;
  readonly archivePrefix: string;
  /** Days a dead letter stays in the index (DEAD_LETTER_RETENTION_DAYS). */
  readonly deadLetterRetentionDays: number;
  readonly lifecycle: Required<ArchiveLifecycle>;
  readonly removalPolicy: RemovalPolicy;
  readonly offsetLagThreshold: number;
  readonly functionErrorsThreshold: number;
  readonly alarmEmail: string | undefined;
  /** Undefined when the functions run outside any VPC. */
  readonly awsServiceAccess: AwsServiceAccess | undefined;
  readonly sdkConnectTimeout: Duration;
  readonly sdkRequestTimeout: Duration;
  /** Undefined when the redrive function is turned off. */
  readonly redrive: ResolvedRedrive | undefined;
  /** The canary pipeline's topics and group; undefined when the canary is off (the default). */
  readonly canary: ResolvedPipeline | undefined;
  /** The user pipelines' mappings validate against it (the canary's never: its records are plain JSON). */
  readonly schemaRegistry: MappingSchemaRegistry | undefined;
}

export interface ResolvedRedrive {
  readonly timeout: Duration;
  readonly memorySize: number;
  /** Undefined leaves the function's own default. */
  readonly maxRedrives: number | undefined;
  readonly ratePerSecond: number | undefined;
  readonly batchSize: number | undefined;
}

const S3_PREFIX = /^[a-zA-Z0-9!_.*'()-]+(\/[a-zA-Z0-9!_.*'()-]+)*$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Validates every prop and fills in defaults, so the construct body only ever sees a configuration that
 * can work. Each error names the prop, what was given and what is expected.
 */
export function resolveSettings(
  props: KafkaLambdaPipelineProps,
  scope: { readonly stackName: string },
): ResolvedSettings {
  validateSource(props.source);
  const awsServiceAccess = validateAwsServiceAccess(props.source, props.awsServiceAccess);

  const schemaRegistry = resolveSchemaRegistry(props.schemaRegistry, props.pollers);
  const pollers = props.pollers ?? { mode: "provisioned" };
  if (pollers.mode !== "provisioned") {
    throw new PipelinePropsError(
      "pollers.mode",
      `is "${pollers.mode}", but Kafka mappings accept ReportBatchItemFailures, retryAttempts, bisectBatchOnError, ` +
        "maxRecordAge and an on-failure destination only in provisioned mode, and this pipeline needs them to retry " +
        'records and never lose a batch; use { mode: "provisioned" } (minimumPollers can be 1)',
    );
  }
  const minimumPollers = integer(
    "pollers.minimumPollers",
    pollers.minimumPollers ?? DEFAULTS.minimumPollers,
    1,
    200,
  );
  const maximumPollers = integer(
    "pollers.maximumPollers",
    pollers.maximumPollers ?? Math.max(DEFAULTS.maximumPollers, minimumPollers),
    1,
    2000,
  );
  if (minimumPollers > maximumPollers) {
    throw new PipelinePropsError(
      "pollers.minimumPollers",
      `(${minimumPollers}) must not exceed pollers.maximumPollers (${maximumPollers})`,
    );
  }

  // The stack's name, so that two stacks on one cluster (staging, production) never share a group and
  // each process only part of the topic.
  if (props.consumerGroupIdPrefix === undefined && Token.isUnresolved(scope.stackName)) {
    throw new PipelinePropsError(
      "consumerGroupIdPrefix",
      "is required when the stack's name is not known at synth time (it is the default prefix)",
    );
  }
  const consumerGroupIdPrefix = props.consumerGroupIdPrefix ?? scope.stackName;
  const knownSourceTopics = props.knownSourceTopics;
  const pipelines = resolvePipelines(
    props.pipelines ?? (knownSourceTopics ?? DEFAULT_SOURCE_TOPICS).map((source) => ({ source })),
    consumerGroupIdPrefix,
    knownSourceTopics,
  );
  const onFailure = props.onFailure ?? { type: "s3" };
  validateOnFailure(onFailure, pipelines);

  const maxBatchingWindow = props.maxBatchingWindow ?? DEFAULTS.maxBatchingWindow;
  const windowSeconds = maxBatchingWindow.toMilliseconds() / 1000;
  if (!Number.isInteger(windowSeconds) || windowSeconds < 0 || windowSeconds > 300) {
    throw new PipelinePropsError(
      "maxBatchingWindow",
      `must be whole seconds between 0 and 300, got ${maxBatchingWindow.toHumanString()}`,
    );
  }

  const retryAttempts = props.retryAttempts ?? DEFAULTS.retryAttempts;
  if (!Number.isInteger(retryAttempts) || retryAttempts < -1 || retryAttempts > 10_000) {
    throw new PipelinePropsError("retryAttempts", `must be -1 (infinite) or 0..10000, got ${retryAttempts}`);
  }
  const maxRecordAge = props.maxRecordAge;
  if (maxRecordAge !== undefined) {
    const seconds = maxRecordAge.toSeconds();
    if (seconds < 60 || seconds > 604_800) {
      throw new PipelinePropsError(
        "maxRecordAge",
        `must be between 60 seconds and 7 days, got ${maxRecordAge.toHumanString()}`,
      );
    }
  }

  const failureKeyName = props.failureKeyName ?? DEFAULTS.failureKeyName;
  if (!(FAILURE_KEY_NAMES as readonly string[]).includes(failureKeyName)) {
    throw new PipelinePropsError(
      "failureKeyName",
      `must be one of ${FAILURE_KEY_NAMES.join(", ")}, got "${failureKeyName}"`,
    );
  }

  const timeout = props.timeout ?? DEFAULTS.timeout;
  if (timeout.toSeconds() < 10 || timeout.toSeconds() > KAFKA_MAPPING_MAX_TIMEOUT.toSeconds()) {
    throw new PipelinePropsError(
      "timeout",
      `must be between 10 seconds and 14 minutes (Kafka mappings invoke functions of at most 14), got ${timeout.toHumanString()}`,
    );
  }
  const sdkConnectTimeout = props.sdkConnectTimeout ?? DEFAULTS.sdkConnectTimeout;
  const sdkRequestTimeout = props.sdkRequestTimeout ?? DEFAULTS.sdkRequestTimeout;
  for (const [prop, value] of [
    ["sdkConnectTimeout", sdkConnectTimeout],
    ["sdkRequestTimeout", sdkRequestTimeout],
  ] as const) {
    if (value.toMilliseconds() < 100 || value.toMilliseconds() >= timeout.toMilliseconds()) {
      throw new PipelinePropsError(
        prop,
        `must be at least 100 ms and shorter than the processor's timeout (${timeout.toHumanString()}), got ${value.toHumanString()}`,
      );
    }
  }
  const deadLetterRetention = props.deadLetterRetention ?? DEFAULTS.deadLetterRetention;
  const deadLetterRetentionDays = integer(
    "deadLetterRetention",
    deadLetterRetention.toDays({ integral: false }),
    1,
    3650,
  );

  const archivePrefix = (props.archivePrefix ?? DEFAULTS.archivePrefix).replace(/\/+$/, "");
  if (!S3_PREFIX.test(archivePrefix)) {
    throw new PipelinePropsError(
      "archivePrefix",
      `must be a key prefix such as "dead-letters" (letters, digits, !_.*'()- and inner slashes), got "${archivePrefix}"`,
    );
  }
  if (archivePrefix === ON_FAILURE_S3_PREFIX || archivePrefix.startsWith(`${ON_FAILURE_S3_PREFIX}/`)) {
    throw new PipelinePropsError(
      "archivePrefix",
      `must not be under "${ON_FAILURE_S3_PREFIX}/", where the mapping's on-failure destination writes`,
    );
  }

  const serviceName = nonEmpty("serviceName", props.serviceName ?? DEFAULT_SERVICE_NAME);
  const metricsNamespace = nonEmpty("metricsNamespace", props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE);
  if (metricsNamespace.startsWith("AWS/")) {
    throw new PipelinePropsError(
      "metricsNamespace",
      `must not start with "AWS/" (reserved), got "${metricsNamespace}"`,
    );
  }

  if (props.alarmEmail !== undefined && !EMAIL.test(props.alarmEmail)) {
    throw new PipelinePropsError("alarmEmail", `must be an email address, got "${props.alarmEmail}"`);
  }
  if (props.alarmEmail !== undefined && props.alarmTopic !== undefined) {
    throw new PipelinePropsError(
      "alarmEmail",
      "cannot be combined with alarmTopic: subscribe the address to your own topic instead",
    );
  }

  return {
    source: props.source,
    pipelines,
    minimumPollers,
    maximumPollers,
    pollerGroupName: pollers.pollerGroupName,
    batchSize: integer("batchSize", props.batchSize ?? DEFAULTS.batchSize, 1, 10_000),
    maxBatchingWindow,
    startingPosition: validateStartingPosition(props.startingPosition ?? DEFAULTS.startingPosition),
    retryAttempts,
    maxRecordAge,
    bisectBatchOnError: props.bisectBatchOnError ?? DEFAULTS.bisectBatchOnError,
    onFailure,
    failureKeyName,
    ordered: props.ordered ?? DEFAULTS.ordered,
    throwOnFullBatchFailure: props.throwOnFullBatchFailure ?? DEFAULTS.throwOnFullBatchFailure,
    memorySize: integer("memorySize", props.memorySize ?? DEFAULTS.memorySize, 128, 10_240),
    timeout,
    logRetention: props.logRetention ?? DEFAULTS.logRetention,
    serviceName,
    metricsNamespace,
    archivePrefix,
    deadLetterRetentionDays,
    lifecycle: resolveLifecycle(props.archiveLifecycle ?? {}, deadLetterRetentionDays),
    removalPolicy: props.removalPolicy ?? DEFAULTS.removalPolicy,
    offsetLagThreshold: integer(
      "offsetLagThreshold",
      props.offsetLagThreshold ?? DEFAULTS.offsetLagThreshold,
      1,
      Number.MAX_SAFE_INTEGER,
    ),
    functionErrorsThreshold: integer(
      "functionErrorsThreshold",
      props.functionErrorsThreshold ?? DEFAULTS.functionErrorsThreshold,
      1,
      Number.MAX_SAFE_INTEGER,
    ),
    alarmEmail: props.alarmEmail,
    awsServiceAccess,
    schemaRegistry,
    sdkConnectTimeout,
    sdkRequestTimeout,
    redrive: resolveRedrive(props.redrive),
    canary: resolveCanary(props.canary, {
      stackName: scope.stackName,
      consumerGroupIdPrefix,
      pipelines,
      onFailure,
    }),
  };
}

function resolveRedrive(redrive: false | RedriveFunctionOptions | undefined): ResolvedRedrive | undefined {
  if (redrive === false) return undefined;
  if (redrive !== undefined && (typeof redrive !== "object" || redrive === null)) {
    throw new PipelinePropsError(
      "redrive",
      `must be false (no redrive function) or an object of options, got ${JSON.stringify(redrive)}`,
    );
  }
  const options = redrive ?? {};
  const timeout = options.timeout ?? DEFAULTS.redriveTimeout;
  // The function keeps 15 s back to save its checkpoint; under a minute it would hardly replay.
  if (timeout.toSeconds() < 60 || timeout.toSeconds() > 900) {
    throw new PipelinePropsError(
      "redrive.timeout",
      `must be between 1 and 15 minutes (the function stops 15 s before it), got ${timeout.toHumanString()}`,
    );
  }
  const optionalInteger = (prop: keyof RedriveFunctionOptions, value: number | undefined, max: number) =>
    value === undefined ? undefined : integer(`redrive.${prop}`, value, 1, max);
  return {
    timeout,
    memorySize: integer("redrive.memorySize", options.memorySize ?? DEFAULTS.redriveMemorySize, 128, 10_240),
    // The same bounds the function applies to a request's own values.
    maxRedrives: optionalInteger("maxRedrives", options.maxRedrives, 1_000),
    ratePerSecond: optionalInteger("ratePerSecond", options.ratePerSecond, 100_000),
    batchSize: optionalInteger("batchSize", options.batchSize, 500),
  };
}

function validateStartingPosition(position: StartingPosition): StartingPosition {
  if (position !== StartingPosition.TRIM_HORIZON && position !== StartingPosition.LATEST) {
    throw new PipelinePropsError(
      "startingPosition",
      `must be TRIM_HORIZON or LATEST for this construct, got "${position}"`,
    );
  }
  return position;
}
