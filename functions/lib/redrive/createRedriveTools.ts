import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import type { Kafka } from "kafkajs";
import { KafkaMessageSink } from "../adapters/KafkaMessageSink";
import { createKafka } from "../adapters/kafkaClient";
import type { Config } from "../config";
import { ConfigError } from "../core/errors";
import type { MessageSink, ProcessorLogger } from "../core/ports";
import { dynamoClientConfig, s3ClientConfig } from "../lambda/createProcessor";
import { DynamoDeadLetterCatalog } from "./adapters/DynamoDeadLetterCatalog";
import { DynamoRedriveRunStore } from "./adapters/DynamoRedriveRunStore";
import { DynamoReplayLedger } from "./adapters/DynamoReplayLedger";
import { KafkaTopicDirectory } from "./adapters/KafkaTopicDirectory";
import { S3EnvelopeStore } from "./adapters/S3EnvelopeStore";
import { S3OnFailureDocumentStore } from "./adapters/S3OnFailureDocumentStore";
import { REPLAY_SOURCES } from "./constants";
import { IndexReplaySource } from "./IndexReplaySource";
import { OnFailureReplaySource } from "./OnFailureReplaySource";
import { Redriver } from "./Redriver";
import { REDRIVE_DEFAULTS, type RedriveDefaults } from "./redriveRequest";

export interface RedriveTools {
  readonly catalog: DynamoDeadLetterCatalog;
  readonly envelopes: S3EnvelopeStore;
  readonly runs: DynamoRedriveRunStore;
  readonly redriver: Redriver;
  readonly topics: KafkaTopicDirectory;
  /** Closes the producer, the admin connection and the AWS clients. */
  close(): Promise<void>;
}

export interface RedriveToolOptions {
  /** Wraps the producer (tests inject faults here). */
  readonly wrapSink?: (sink: MessageSink) => MessageSink;
}

/**
 * Wires the redrive logic to DynamoDB, S3 and Kafka from the same configuration the processor uses
 * (`loadConfig`), so the CLI, the Lambda and the processor always agree on tables, bucket and brokers.
 * Kafka is only connected when something is replayed or a topic is checked: listing needs no broker.
 */
export function createRedriveTools(
  config: Config,
  logger: ProcessorLogger,
  options: RedriveToolOptions = {},
): RedriveTools {
  const s3 = new S3Client(s3ClientConfig(config));
  const dynamodb = new DynamoDBClient(dynamoClientConfig(config));
  let kafka: Promise<Kafka> | undefined;
  const kafkaClient = () => {
    kafka ??= createKafka(config.kafka, config.aws, logger);
    kafka.catch(() => {
      kafka = undefined;
    });
    return kafka;
  };
  const producer = new KafkaMessageSink({
    kafka: kafkaClient,
    requestTimeoutMs: config.kafka.requestTimeoutMs,
  });
  const sink = options.wrapSink?.(producer) ?? producer;
  const catalog = new DynamoDeadLetterCatalog({ client: dynamodb, table: config.tables.deadLetters });
  const envelopes = new S3EnvelopeStore({ client: s3 });
  const runs = new DynamoRedriveRunStore({ client: dynamodb, table: config.tables.attempts });
  const ledger = new DynamoReplayLedger({ client: dynamodb, table: config.tables.attempts });
  const documents = new S3OnFailureDocumentStore(s3);
  const topics = new KafkaTopicDirectory(kafkaClient);
  const redriver = new Redriver({
    sink,
    runs,
    topics,
    sourceFor: (request) =>
      request.source.kind === REPLAY_SOURCES.index
        ? new IndexReplaySource(catalog, envelopes, request.filter)
        : new OnFailureReplaySource(documents, ledger, request.source, request.filter),
  });
  return {
    catalog,
    envelopes,
    runs,
    redriver,
    topics,
    async close() {
      await Promise.allSettled([producer.disconnect(), topics.disconnect()]);
      s3.destroy();
      dynamodb.destroy();
    },
  };
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Defaults of a redrive from the environment (the Lambda's, or the operator's shell): the loop
 * guard, the rate and the batch size. Bad values fail naming the variable.
 */
export function loadRedriveDefaults(env: Env = process.env): RedriveDefaults {
  return {
    maxRedrives: positive(env, "REDRIVE_MAX_REDRIVES", REDRIVE_DEFAULTS.maxRedrives),
    ratePerSecond: positive(env, "REDRIVE_RATE", REDRIVE_DEFAULTS.ratePerSecond),
    batchSize: positive(env, "REDRIVE_BATCH_SIZE", REDRIVE_DEFAULTS.batchSize),
  };
}

function positive(env: Env, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1)
    throw new ConfigError(name, `must be a whole number of at least 1, got "${raw}"`);
  return Number(raw);
}
