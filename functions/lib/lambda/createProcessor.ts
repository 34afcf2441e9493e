import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { DynamoAttemptLedger } from "../adapters/DynamoAttemptLedger";
import { DynamoDeadLetterIndex } from "../adapters/DynamoDeadLetterIndex";
import { DynamoProducedRecordStore } from "../adapters/DynamoProducedRecordStore";
import { KafkaMessageSink } from "../adapters/KafkaMessageSink";
import { createKafka } from "../adapters/kafkaClient";
import { S3DeadLetterArchive } from "../adapters/S3DeadLetterArchive";
import type { Config } from "../config";
import { ConfigError } from "../core/errors";
import { KafkaBatchProcessor } from "../core/KafkaBatchProcessor";
import type { Pipeline } from "../core/pipeline";
import type { DeadLetterArchive, MessageSink, ProcessorLogger } from "../core/ports";

export interface ProcessorParts {
  readonly processor: KafkaBatchProcessor;
  readonly sink: MessageSink & { disconnect(): Promise<void> };
  readonly archive: DeadLetterArchive;
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
}

/**
 * Wires the processor to real adapters from configuration. Called once per container, so the
 * producer and the S3 client are reused by every invocation.
 */
export function createProcessor(
  config: Config,
  pipelines: readonly Pipeline[],
  logger: ProcessorLogger,
): ProcessorParts {
  checkSourceTopics(config, pipelines);
  const s3 = new S3Client(s3ClientConfig(config));
  const sink = new KafkaMessageSink({
    kafka: () => createKafka(config.kafka, config.aws, logger),
    requestTimeoutMs: config.kafka.requestTimeoutMs,
    compression: config.kafka.compression,
  });
  const archive = new S3DeadLetterArchive({ client: s3, bucket: config.archive.bucket });
  const dynamodb = new DynamoDBClient(dynamoClientConfig(config));
  const { state, tables } = config;
  const processor = new KafkaBatchProcessor({
    pipelines,
    sink,
    archive,
    logger,
    ...(state.deadLetterIndex
      ? {
          index: new DynamoDeadLetterIndex({
            client: dynamodb,
            table: tables.deadLetters,
            archiveBucket: config.archive.bucket,
            retentionDays: state.deadLetterRetentionDays,
          }),
        }
      : {}),
    ...(state.maxTransientFailures > 0
      ? {
          attempts: {
            ledger: new DynamoAttemptLedger({ client: dynamodb, table: tables.attempts }),
            maxTransientFailures: state.maxTransientFailures,
          },
        }
      : {}),
    ...(state.idempotency
      ? {
          idempotency: new DynamoProducedRecordStore({
            client: dynamodb,
            table: tables.attempts,
            ttlSeconds: state.idempotencyTtlSeconds,
          }),
        }
      : {}),
    archivePrefix: config.archive.prefix,
    ordered: config.processing.ordered,
    failureKeyName: config.processing.failureKeyName,
    maxErrorMessageLength: config.processing.maxErrorMessageLength,
    maxOutputRecordBytes: config.processing.maxOutputRecordBytes,
    deadlineSafetyMs: config.processing.deadlineSafetyMs,
    topicOverrides: config.processing.topicOverrides,
    maxRequestBytes: config.processing.maxRequestBytes,
    unroutable: config.processing.unroutable,
  });
  return { processor, sink, archive, s3, dynamodb };
}

/**
 * Fails INIT when a topic the mappings deliver has no pipeline: a deployment mistake then shows as
 * a failed deploy check and an errors alarm at once, not as a whole topic retried record by record.
 */
export function checkSourceTopics(config: Config, pipelines: readonly Pipeline[]): void {
  const declared = new Set(pipelines.map((p) => p.sourceTopic));
  const missing = (config.processing.sourceTopics ?? []).filter((topic) => !declared.has(topic));
  if (missing.length > 0) {
    throw new ConfigError(
      "SOURCE_TOPICS",
      `names topics without a pipeline: ${missing.join(", ")} (pipelines exist for ${[...declared].join(", ") || "none"})`,
    );
  }
}

/**
 * Timeouts of every AWS SDK client of the functions. Without them a hung connection (no route to
 * S3 from a private subnet, say) waits for the Lambda timeout; with them each attempt fails in
 * seconds and the processor's deadline-aware retries take over. `throwOnRequestTimeout` is needed
 * since @smithy/node-http-handler 4.4, which otherwise only logs a warning at the timeout.
 */
export function awsClientTimeouts(config: Config) {
  return {
    maxAttempts: 2,
    requestHandler: {
      connectionTimeout: config.aws.connectTimeoutMs,
      requestTimeout: config.aws.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  };
}

/** DynamoDB client settings; an endpoint override means DynamoDB Local and its fixed credentials. */
export function dynamoClientConfig(config: Config): DynamoDBClientConfig {
  const base: DynamoDBClientConfig = { region: config.aws.region, ...awsClientTimeouts(config) };
  const endpoint = config.aws.dynamodbEndpoint;
  if (endpoint === undefined) return base;
  return { ...base, endpoint, ...localCredentials() };
}

/**
 * S3 client settings. With an endpoint override (S3Proxy, MinIO) the client uses path-style
 * addressing and only sends checksums where required, which those servers need; without
 * credentials in the environment it uses the local stack's fixed ones.
 */
export function s3ClientConfig(config: Config): S3ClientConfig {
  const base: S3ClientConfig = { region: config.aws.region, ...awsClientTimeouts(config) };
  const endpoint = config.aws.s3Endpoint;
  if (endpoint === undefined) return base;
  return {
    ...base,
    endpoint,
    forcePathStyle: true,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    ...localCredentials(),
  };
}

function localCredentials(): { credentials?: { accessKeyId: string; secretAccessKey: string } } {
  return process.env.AWS_ACCESS_KEY_ID === undefined
    ? { credentials: { accessKeyId: "local", secretAccessKey: "localsecret" } }
    : {};
}
