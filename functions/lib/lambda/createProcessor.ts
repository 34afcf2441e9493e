import type { DynamoDBClient, DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import type { S3ClientConfig } from "@aws-sdk/client-s3";
import { KafkaMessageSink } from "../adapters/KafkaMessageSink";
import { createKafka } from "../adapters/kafkaClient";
import { withoutRequestLogging } from "../adapters/sdkRequestLogging";
import type { Config } from "../config";
import { ConfigError } from "../core/errors";
import { KafkaBatchProcessor } from "../core/KafkaBatchProcessor";
import type { Pipeline } from "../core/pipeline";
import type {
  AttemptLedger,
  DeadLetterArchive,
  DeadLetterIndex,
  MessageSink,
  ProcessorLogger,
  ProducedRecordStore,
} from "../core/ports";
import { deferredPort, loadOnce } from "./deferred";

export interface ProcessorParts {
  readonly processor: KafkaBatchProcessor;
  readonly sink: MessageSink & { disconnect(): Promise<void> };
  readonly archive: DeadLetterArchive;
  /** Closes the AWS SDK clients that were created (none, if no batch ever needed one). */
  readonly destroyClients: () => void;
}

/**
 * Wires the processor to real adapters from configuration. Called once per container, so the
 * producer and the clients are reused by every invocation. Only kafkajs is on the happy path: the
 * S3 and DynamoDB clients and their adapters are loaded by the first call that needs them (a dead
 * letter, the attempt ledger, idempotency), so INIT and batches of good records never evaluate the
 * AWS SDK (`deferred.ts`).
 */
export function createProcessor(
  config: Config,
  pipelines: readonly Pipeline[],
  logger: ProcessorLogger,
): ProcessorParts {
  checkSourceTopics(config, pipelines);
  const sink = createSink(config, logger);
  const created: { destroy(): void }[] = [];
  const s3 = loadOnce(async () => {
    const { S3Client } = await import("./s3Adapters");
    const options = s3ClientConfig(config);
    const client = withoutRequestLogging(new S3Client(options), options.logger);
    created.push(client);
    return client;
  });
  const dynamodb = loadOnce(async () => {
    const client = await createDynamoClient(config);
    created.push(client);
    return client;
  });
  const archive = deferredPort<DeadLetterArchive>(["put"], async () => {
    const [{ S3DeadLetterArchive }, client] = await Promise.all([import("./s3Adapters"), s3()]);
    return new S3DeadLetterArchive({ client, bucket: config.archive.bucket });
  });
  const { state, tables } = config;
  const processor = new KafkaBatchProcessor({
    pipelines,
    sink,
    archive,
    logger,
    ...(state.deadLetterIndex
      ? {
          index: deferredPort<Required<DeadLetterIndex>>(["indexedBefore", "lookup", "record"], async () => {
            const [{ DynamoDeadLetterIndex }, client] = await Promise.all([
              import("./dynamoAdapters"),
              dynamodb(),
            ]);
            return new DynamoDeadLetterIndex({
              client,
              table: tables.deadLetters,
              archiveBucket: config.archive.bucket,
              retentionDays: state.deadLetterRetentionDays,
            });
          }),
        }
      : {}),
    ...(state.maxTransientFailures > 0
      ? {
          attempts: {
            ledger: deferredPort<AttemptLedger>(["recordTransientFailure"], async () => {
              const [{ DynamoAttemptLedger }, client] = await Promise.all([
                import("./dynamoAdapters"),
                dynamodb(),
              ]);
              return new DynamoAttemptLedger({ client, table: tables.attempts });
            }),
            maxTransientFailures: state.maxTransientFailures,
          },
        }
      : {}),
    ...(state.idempotency
      ? {
          idempotency: deferredPort<ProducedRecordStore>(["findProduced", "markProduced"], async () => {
            const [{ DynamoProducedRecordStore }, client] = await Promise.all([
              import("./dynamoAdapters"),
              dynamodb(),
            ]);
            return new DynamoProducedRecordStore({
              client,
              table: tables.attempts,
              ttlSeconds: state.idempotencyTtlSeconds,
            });
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
  const destroyClients = () => {
    for (const client of created.splice(0)) client.destroy();
  };
  return { processor, sink, archive, destroyClients };
}

/**
 * The producer behind the processor's sink: kafkajs by default; with `KAFKA_PRODUCER=platformatic`
 * the @platformatic/kafka sink, whose module (a chunk of its own) is loaded by the first send, so
 * the default bundle's INIT never reads it and a container that never sends never loads it.
 */
function createSink(config: Config, logger: ProcessorLogger): ProcessorParts["sink"] {
  const { kafka } = config;
  if (kafka.producer === "kafkajs") {
    return new KafkaMessageSink({
      kafka: () => createKafka(kafka, config.aws, logger),
      requestTimeoutMs: kafka.requestTimeoutMs,
      compression: kafka.compression,
    });
  }
  let loaded = false;
  const platformatic = loadOnce(async () => {
    const { PlatformaticMessageSink, platformaticConnection } = await import("./platformaticAdapters");
    return new PlatformaticMessageSink({
      connection: () => platformaticConnection(kafka, config.aws),
      requestTimeoutMs: kafka.requestTimeoutMs,
      compression: kafka.compression,
    });
  });
  return {
    send: async (topic, messages) => {
      loaded = true;
      return (await platformatic()).send(topic, messages);
    },
    disconnect: async () => {
      if (loaded) await (await platformatic()).disconnect();
    },
  };
}

/** A DynamoDB client for `config`, its SDK module loaded by this call (see `deferred.ts`). */
export async function createDynamoClient(config: Config): Promise<DynamoDBClient> {
  const { DynamoDBClient } = await import("./dynamoAdapters");
  const options = dynamoClientConfig(config);
  return withoutRequestLogging(new DynamoDBClient(options), options.logger);
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
