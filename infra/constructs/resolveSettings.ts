import { Duration, RemovalPolicy, Token } from "aws-cdk-lib";
import { StartingPosition } from "aws-cdk-lib/aws-lambda";
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import { FAILURE_KEY_NAMES, type FailureKeyName } from "../../functions/lib/config";
import { DEFAULT_METRICS_NAMESPACE, DEFAULT_SERVICE_NAME } from "../../functions/lib/metricNames";
import { PipelinePropsError } from "./errors";
import type { KafkaLambdaPipelineProps } from "./KafkaLambdaPipeline";
import {
  type ArchiveLifecycle,
  type KafkaSource,
  type OnFailureDestination,
  type RedriveFunctionOptions,
  SELF_MANAGED_AUTHENTICATIONS,
  type TopicPipeline,
} from "./types";

/** The pipelines the functions ship with; used when the props name none. */
export const DEFAULT_SOURCE_TOPICS = ["employees", "user-events"] as const;

/** Where the mapping's S3 on-failure destination writes (Lambda chooses the key, not us). */
export const ON_FAILURE_S3_PREFIX = "aws/lambda";

export const DEFAULTS = {
  consumerGroupIdPrefix: "kafka-lambda-pipeline",
  minimumPollers: 1,
  maximumPollers: 3,
  batchSize: 100,
  maxBatchingWindow: Duration.seconds(1),
  startingPosition: StartingPosition.TRIM_HORIZON,
  retryAttempts: 5,
  bisectBatchOnError: true,
  failureKeyName: "partition",
  ordered: true,
  throwOnFullBatchFailure: true,
  memorySize: 512,
  timeout: Duration.minutes(1),
  logRetention: RetentionDays.ONE_MONTH,
  archivePrefix: "dead-letters",
  transitionToInfrequentAccessAfter: Duration.days(30),
  transitionToGlacierAfter: Duration.days(90),
  expireAfter: Duration.days(365),
  noncurrentVersionExpireAfter: Duration.days(30),
  removalPolicy: RemovalPolicy.RETAIN,
  offsetLagThreshold: 1000,
  functionErrorsThreshold: 1,
  redriveTimeout: Duration.minutes(15),
  redriveMemorySize: 512,
} as const;

/** Powertools service name and Kafka client id of the redrive function. */
export const REDRIVE_SERVICE_NAME = "kafka-redrive";

export interface ResolvedPipeline {
  readonly source: string;
  readonly target: string;
  readonly dlq: string;
  readonly consumerGroupId: string;
}

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
  readonly lifecycle: Required<ArchiveLifecycle>;
  readonly removalPolicy: RemovalPolicy;
  readonly offsetLagThreshold: number;
  readonly functionErrorsThreshold: number;
  readonly alarmEmail: string | undefined;
  /** Undefined when the redrive function is turned off. */
  readonly redrive: ResolvedRedrive | undefined;
}

export interface ResolvedRedrive {
  readonly timeout: Duration;
  readonly memorySize: number;
  /** Undefined leaves the function's own default. */
  readonly maxRedrives: number | undefined;
  readonly ratePerSecond: number | undefined;
  readonly batchSize: number | undefined;
}

// Kafka's own rule (legal characters, at most 249, not "." or "..").
const TOPIC_NAME = /^(?!\.{1,2}$)[a-zA-Z0-9._-]{1,249}$/;
// The mapping's rule for consumer group ids.
const CONSUMER_GROUP_ID = /^[a-zA-Z0-9\-/*:_+=.@]{1,200}$/;
const BROKER = /^[^\s:,]+:\d{1,5}$/;
const S3_PREFIX = /^[a-zA-Z0-9!_.*'()-]+(\/[a-zA-Z0-9!_.*'()-]+)*$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Validates every prop and fills in defaults, so the construct body only ever sees a configuration that
 * can work. Each error names the prop, what was given and what is expected.
 */
export function resolveSettings(props: KafkaLambdaPipelineProps): ResolvedSettings {
  validateSource(props.source);

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

  const consumerGroupIdPrefix = props.consumerGroupIdPrefix ?? DEFAULTS.consumerGroupIdPrefix;
  const pipelines = resolvePipelines(
    props.pipelines ?? DEFAULT_SOURCE_TOPICS.map((source) => ({ source })),
    consumerGroupIdPrefix,
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
  if (timeout.toSeconds() < 10 || timeout.toSeconds() > 900) {
    throw new PipelinePropsError(
      "timeout",
      `must be between 10 seconds and 15 minutes, got ${timeout.toHumanString()}`,
    );
  }

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
    lifecycle: resolveLifecycle(props.archiveLifecycle ?? {}),
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
    redrive: resolveRedrive(props.redrive),
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

function validateSource(source: KafkaSource | undefined): void {
  if (source === undefined) {
    throw new PipelinePropsError(
      "source",
      'is required: { type: "msk", ... } or { type: "self-managed", ... }',
    );
  }
  if (source.type === "msk") {
    const brokers = source.bootstrapBrokers.split(",").map((b) => b.trim());
    if (!Token.isUnresolved(source.bootstrapBrokers)) {
      for (const broker of brokers) {
        if (!BROKER.test(broker)) {
          throw new PipelinePropsError(
            "source.bootstrapBrokers",
            `must be comma-separated host:port pairs (the cluster's IAM brokers, port 9098), got "${broker}"`,
          );
        }
      }
    }
    if (source.securityGroups.length === 0) {
      throw new PipelinePropsError(
        "source.securityGroups",
        "must name at least one security group that the brokers accept, so the function can reach them",
      );
    }
    return;
  }
  if (source.type === "self-managed") {
    if (source.bootstrapServers.length === 0) {
      throw new PipelinePropsError("source.bootstrapServers", "must name at least one broker as host:port");
    }
    for (const broker of source.bootstrapServers) {
      if (!Token.isUnresolved(broker) && !BROKER.test(broker)) {
        throw new PipelinePropsError("source.bootstrapServers", `entries must be host:port, got "${broker}"`);
      }
    }
    if (!(SELF_MANAGED_AUTHENTICATIONS as readonly string[]).includes(source.authentication)) {
      throw new PipelinePropsError(
        "source.authentication",
        `must be one of ${SELF_MANAGED_AUTHENTICATIONS.join(", ")}, got "${source.authentication}"`,
      );
    }
    const hasNetwork = source.vpcSubnets !== undefined || (source.securityGroups?.length ?? 0) > 0;
    if (source.vpc === undefined && hasNetwork) {
      throw new PipelinePropsError("source.vpc", "is required when vpcSubnets or securityGroups are given");
    }
    if (
      source.vpc !== undefined &&
      (source.vpcSubnets === undefined || (source.securityGroups?.length ?? 0) === 0)
    ) {
      throw new PipelinePropsError(
        "source.vpcSubnets",
        "and source.securityGroups are both required with source.vpc: the mapping and the function need them",
      );
    }
    return;
  }
  throw new PipelinePropsError(
    "source.type",
    `must be "msk" or "self-managed", got "${(source as { type: unknown }).type}"`,
  );
}

function resolvePipelines(pipelines: readonly TopicPipeline[], groupPrefix: string): ResolvedPipeline[] {
  if (pipelines.length === 0) {
    throw new PipelinePropsError("pipelines", "must name at least one source topic");
  }
  const resolved = pipelines.map((pipeline, index) => {
    const where = `pipelines[${index}]`;
    const source = topicName(`${where}.source`, pipeline.source);
    const target = topicName(`${where}.target`, pipeline.target ?? `${source}.processed`);
    const dlq = topicName(`${where}.dlq`, pipeline.dlq ?? `${source}.dlq`);
    if (target === source) {
      throw new PipelinePropsError(
        `${where}.target`,
        `must differ from its source "${source}", or records loop`,
      );
    }
    if (dlq === source || dlq === target) {
      throw new PipelinePropsError(`${where}.dlq`, `must differ from its source and target, got "${dlq}"`);
    }
    const consumerGroupId = pipeline.consumerGroupId ?? `${groupPrefix}-${source}`;
    if (!CONSUMER_GROUP_ID.test(consumerGroupId)) {
      throw new PipelinePropsError(
        `${where}.consumerGroupId`,
        `must be 1-200 characters of [a-zA-Z0-9-/*:_+=.@], got "${consumerGroupId}"`,
      );
    }
    return { source, target, dlq, consumerGroupId };
  });

  const sources = new Set<string>();
  const groups = new Set<string>();
  for (const [index, pipeline] of resolved.entries()) {
    if (sources.has(pipeline.source)) {
      throw new PipelinePropsError(`pipelines[${index}].source`, `"${pipeline.source}" is listed twice`);
    }
    if (groups.has(pipeline.consumerGroupId)) {
      throw new PipelinePropsError(
        `pipelines[${index}].consumerGroupId`,
        `"${pipeline.consumerGroupId}" is used twice; each mapping needs its own consumer group`,
      );
    }
    sources.add(pipeline.source);
    groups.add(pipeline.consumerGroupId);
  }
  for (const [index, pipeline] of resolved.entries()) {
    if (sources.has(pipeline.dlq)) {
      throw new PipelinePropsError(
        `pipelines[${index}].dlq`,
        `"${pipeline.dlq}" is also a source topic: dead letters would be consumed again`,
      );
    }
  }
  return resolved;
}

function validateOnFailure(onFailure: OnFailureDestination, pipelines: readonly ResolvedPipeline[]): void {
  if (onFailure.type === "s3") return;
  if (onFailure.type !== "kafka") {
    throw new PipelinePropsError(
      "onFailure.type",
      `must be "s3" or "kafka", got "${(onFailure as { type: unknown }).type}"`,
    );
  }
  const topic = topicName("onFailure.topic", onFailure.topic);
  const clash = pipelines.find((p) => [p.source, p.target, p.dlq].includes(topic));
  if (clash !== undefined) {
    throw new PipelinePropsError(
      "onFailure.topic",
      `"${topic}" is already used by the pipeline of "${clash.source}"; the on-failure topic carries ` +
        "Lambda's metadata format, so keep it apart from source, target and DLQ topics",
    );
  }
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

function resolveLifecycle(lifecycle: ArchiveLifecycle): Required<ArchiveLifecycle> {
  const resolved = {
    transitionToInfrequentAccessAfter:
      lifecycle.transitionToInfrequentAccessAfter ?? DEFAULTS.transitionToInfrequentAccessAfter,
    transitionToGlacierAfter: lifecycle.transitionToGlacierAfter ?? DEFAULTS.transitionToGlacierAfter,
    expireAfter: lifecycle.expireAfter ?? DEFAULTS.expireAfter,
    noncurrentVersionExpireAfter:
      lifecycle.noncurrentVersionExpireAfter ?? DEFAULTS.noncurrentVersionExpireAfter,
  };
  const ia = resolved.transitionToInfrequentAccessAfter.toDays();
  const glacier = resolved.transitionToGlacierAfter.toDays();
  const expire = resolved.expireAfter.toDays();
  if (ia < 30) {
    throw new PipelinePropsError(
      "archiveLifecycle.transitionToInfrequentAccessAfter",
      `must be at least 30 days (an S3 rule for STANDARD_IA), got ${ia}`,
    );
  }
  if (glacier <= ia) {
    throw new PipelinePropsError(
      "archiveLifecycle.transitionToGlacierAfter",
      `(${glacier} days) must come after the infrequent-access transition (${ia} days)`,
    );
  }
  if (expire <= glacier) {
    throw new PipelinePropsError(
      "archiveLifecycle.expireAfter",
      `(${expire} days) must come after the Glacier transition (${glacier} days)`,
    );
  }
  if (resolved.noncurrentVersionExpireAfter.toDays() < 1) {
    throw new PipelinePropsError("archiveLifecycle.noncurrentVersionExpireAfter", "must be at least 1 day");
  }
  return resolved;
}

function topicName(prop: string, name: string | undefined): string {
  if (name === undefined || !TOPIC_NAME.test(name)) {
    throw new PipelinePropsError(
      prop,
      `must be a Kafka topic name (1-249 of [a-zA-Z0-9._-], not "." or ".."), got "${name}"`,
    );
  }
  return name;
}

function integer(prop: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new PipelinePropsError(prop, `must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

function nonEmpty(prop: string, value: string): string {
  if (value.trim() === "") throw new PipelinePropsError(prop, "must not be empty");
  return value;
}
