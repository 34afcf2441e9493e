/**
 * Typed configuration read from environment variables.
 *
 * Every value defaults to the local stack (see `stack/`), so tests and the local runner need no
 * setup; the CDK construct sets every variable explicitly in AWS. A bad value fails fast with a
 * {@link ConfigError} that names the variable, because a Lambda that starts with a half-valid
 * configuration fails later, per record, with a message nobody can trace back to the cause.
 */
import { ConfigError } from "./core/errors";
import { UNROUTABLE_POLICIES, type UnroutablePolicy } from "./core/processing/planPartition";

/** Local stack ports; `stack/` reads the same variables so both sides agree. */
export const LOCAL_PORTS = {
  kafka: 9092,
  dynamodb: 8000,
  s3: 9000,
  /** Apicurio Registry's Confluent-compatible API (Confluent Schema Registry's own default port). */
  schemaRegistry: 8081,
} as const;

/** Where Apicurio Registry serves the Confluent Schema Registry REST API (version 7 of it). */
export const LOCAL_SCHEMA_REGISTRY_PATH = "/apis/ccompat/v7";

export const KAFKA_AUTH_MODES = ["none", "scram-sha-256", "scram-sha-512", "iam"] as const;
export type KafkaAuthMode = (typeof KAFKA_AUTH_MODES)[number];

/** Produce-request compression; only codecs kafkajs ships (snappy, lz4 and zstd need plug-ins). */
export const KAFKA_COMPRESSIONS = ["none", "gzip"] as const;
export type KafkaCompression = (typeof KAFKA_COMPRESSIONS)[number];

/**
 * The client behind the processor's producer (`KAFKA_PRODUCER`): kafkajs, or @platformatic/kafka,
 * which encodes records with about half the CPU and supports PLAINTEXT and TLS (mTLS) only.
 */
export const KAFKA_PRODUCERS = ["kafkajs", "platformatic"] as const;
export type KafkaProducer = (typeof KAFKA_PRODUCERS)[number];

export const FAILURE_KEY_NAMES = ["partition", "topic-partition"] as const;
export type FailureKeyName = (typeof FAILURE_KEY_NAMES)[number];

export interface KafkaConfig {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly ssl: boolean;
  readonly auth: KafkaAuthMode;
  /** Secrets Manager secret (SCRAM) or unused; credentials are never read from plain variables. */
  readonly saslSecretArn: string | undefined;
  /** Secrets Manager secret with a client certificate for mutual TLS (`certificate`, `privateKey`). */
  readonly tlsSecretArn: string | undefined;
  /**
   * Secrets Manager secret with the brokers' private root CA (`{"certificate": "<PEM>"}`, the
   * mapping's SERVER_ROOT_CA_CERTIFICATE secret); undefined trusts the public CAs Node knows.
   */
  readonly caSecretArn: string | undefined;
  /** Username/password for SCRAM against the local stack or a test cluster only. */
  readonly saslUsername: string | undefined;
  readonly saslPassword: string | undefined;
  readonly requestTimeoutMs: number;
  /** Compression of the target and DLQ writes (`KAFKA_COMPRESSION`). @default "none" */
  readonly compression: KafkaCompression;
  /** The processor's producer client (`KAFKA_PRODUCER`); redrive always uses kafkajs. @default "kafkajs" */
  readonly producer: KafkaProducer;
}

export interface AwsConfig {
  readonly region: string;
  /** Override for S3-compatible servers (S3Proxy, MinIO); undefined means AWS. */
  readonly s3Endpoint: string | undefined;
  readonly dynamodbEndpoint: string | undefined;
  /** Time to open a connection to S3, DynamoDB or Secrets Manager, per attempt. */
  readonly connectTimeoutMs: number;
  /** Time for one request to S3, DynamoDB or Secrets Manager to answer, per attempt. */
  readonly requestTimeoutMs: number;
}

export interface ArchiveConfig {
  readonly bucket: string;
  readonly prefix: string;
}

export interface TablesConfig {
  readonly deadLetters: string;
  readonly attempts: string;
}

export interface StateConfig {
  /** Record every dead letter in the DynamoDB index (a dead letter counts only once indexed). */
  readonly deadLetterIndex: boolean;
  /** Days a dead letter stays in the index; 0 keeps it forever. */
  readonly deadLetterRetentionDays: number;
  /** Transient failures of one record before it is dead-lettered as retries-exhausted; 0 disables. */
  readonly maxTransientFailures: number;
  /** Skip records already produced when Lambda redelivers them. */
  readonly idempotency: boolean;
  readonly idempotencyTtlSeconds: number;
}

export interface ProcessingConfig {
  /** Key of the partial batch response item identifier; AWS's pages disagree, see README. */
  readonly failureKeyName: FailureKeyName;
  /** Stop a partition at its first record that must be retried (default), or continue past it. */
  readonly ordered: boolean;
  /** Throw when every record must be retried, so the mapping's retry count and bisect apply. */
  readonly throwOnFullBatchFailure: boolean;
  /** Longest error message kept in dead-letter headers and envelopes. */
  readonly maxErrorMessageLength: number;
  /** Largest transformed value the target topic accepts; larger records are dead-lettered. */
  readonly maxOutputRecordBytes: number;
  /** Time kept back from the invocation deadline for reporting, in milliseconds. */
  readonly deadlineSafetyMs: number;
  /** Per-source-topic overrides of target and DLQ topic names, as JSON. */
  readonly topicOverrides: Readonly<Record<string, TopicOverride>>;
  /** Bytes per produce request, under the brokers' `max.message.bytes`. */
  readonly maxRequestBytes: number;
  /** Records of a topic without a pipeline: reported for retry (default) or dead-lettered. */
  readonly unroutable: UnroutablePolicy;
  /**
   * The topics the event source mappings deliver (set by the CDK construct): the function fails
   * its INIT when one has no pipeline, instead of mishandling a whole topic record by record.
   */
  readonly sourceTopics: readonly string[] | undefined;
}

export interface TopicOverride {
  readonly target?: string;
  readonly dlq?: string;
}

/** The canary pipeline (functions/lib/canary), which the construct's `canary` option deploys. */
export interface CanaryConfig {
  /**
   * The canary's source topic (CANARY_TOPIC); its results go to `<topic>.out`, its dead letters to
   * `<topic>.dlq`. Undefined: no canary pipeline.
   */
  readonly topic: string | undefined;
}

export interface Config {
  readonly kafka: KafkaConfig;
  readonly aws: AwsConfig;
  readonly archive: ArchiveConfig;
  readonly tables: TablesConfig;
  readonly state: StateConfig;
  readonly processing: ProcessingConfig;
  readonly canary: CanaryConfig;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The schema registry's Confluent-compatible base URL: SCHEMA_REGISTRY_URL when set, else the local
 * stack's registry on SCHEMA_REGISTRY_PORT, so a registry client needs no setup against the stack.
 *
 * @example
 * localSchemaRegistryUrl({}); // "http://127.0.0.1:8081/apis/ccompat/v7"
 */
export function localSchemaRegistryUrl(env: Env = process.env): string {
  const read = new EnvReader(env);
  const port = read.port("SCHEMA_REGISTRY_PORT", LOCAL_PORTS.schemaRegistry);
  const local = `http://127.0.0.1:${port}${LOCAL_SCHEMA_REGISTRY_PATH}`;
  return read.url("SCHEMA_REGISTRY_URL", local) ?? local;
}

/**
 * Reads the whole configuration once; call it at container start, not per invocation.
 *
 * @example
 * const config = loadConfig(process.env);
 * config.kafka.brokers; // ["127.0.0.1:9092"] on the local stack
 */
export function loadConfig(env: Env = process.env): Config {
  const read = new EnvReader(env);
  const kafkaPort = read.port("KAFKA_PORT", LOCAL_PORTS.kafka);
  const s3Port = read.port("S3_PORT", LOCAL_PORTS.s3);
  const dynamodbPort = read.port("DYNAMODB_PORT", LOCAL_PORTS.dynamodb);
  const onAws = read.optional("AWS_LAMBDA_FUNCTION_NAME") !== undefined;

  const auth = read.oneOf("KAFKA_AUTH", KAFKA_AUTH_MODES, "none");
  const saslSecretArn = read.optional("KAFKA_SASL_SECRET_ARN");
  const saslUsername = read.optional("KAFKA_SASL_USERNAME");
  const saslPassword = read.optional("KAFKA_SASL_PASSWORD");
  if (
    auth.startsWith("scram") &&
    saslSecretArn === undefined &&
    (saslUsername === undefined || saslPassword === undefined)
  ) {
    throw new ConfigError(
      "KAFKA_SASL_SECRET_ARN",
      `is required when KAFKA_AUTH is ${auth} (or KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD, for local tests)`,
    );
  }

  const producer = read.oneOf("KAFKA_PRODUCER", KAFKA_PRODUCERS, "kafkajs");
  // SASL through @platformatic/kafka is not tested against a broker here: refused, never plaintext.
  if (producer === "platformatic" && auth !== "none") {
    throw new ConfigError(
      "KAFKA_PRODUCER",
      `platformatic supports KAFKA_AUTH=none only (PLAINTEXT, or TLS with KAFKA_SSL / KAFKA_CA_SECRET_ARN / KAFKA_TLS_SECRET_ARN), not ${auth}: use KAFKA_PRODUCER=kafkajs`,
    );
  }

  return {
    kafka: {
      brokers: read.brokers("KAFKA_BROKERS", [`127.0.0.1:${kafkaPort}`]),
      clientId: read.string("KAFKA_CLIENT_ID", "kafka-lambda-pipeline"),
      ssl: read.boolean("KAFKA_SSL", false),
      auth,
      tlsSecretArn: read.optional("KAFKA_TLS_SECRET_ARN"),
      caSecretArn: read.optional("KAFKA_CA_SECRET_ARN"),
      saslSecretArn,
      saslUsername,
      saslPassword,
      requestTimeoutMs: read.integer("KAFKA_REQUEST_TIMEOUT_MS", 10_000, { min: 100 }),
      compression: read.oneOf("KAFKA_COMPRESSION", KAFKA_COMPRESSIONS, "none"),
      producer,
    },
    aws: {
      region: read.string("AWS_REGION", "us-east-1"),
      // In Lambda no endpoint default applies: an unset variable means the real AWS endpoint.
      s3Endpoint: read.url("S3_ENDPOINT", onAws ? undefined : `http://127.0.0.1:${s3Port}`),
      dynamodbEndpoint: read.url("DYNAMODB_ENDPOINT", onAws ? undefined : `http://127.0.0.1:${dynamodbPort}`),
      connectTimeoutMs: read.integer("AWS_SDK_CONNECT_TIMEOUT_MS", 2_000, { min: 100 }),
      requestTimeoutMs: read.integer("AWS_SDK_REQUEST_TIMEOUT_MS", 5_000, { min: 100 }),
    },
    archive: {
      bucket: read.string("ARCHIVE_BUCKET", "dead-letters-local"),
      prefix: read.string("ARCHIVE_PREFIX", "dead-letters").replace(/\/+$/, ""),
    },
    tables: {
      deadLetters: read.string("DEAD_LETTER_TABLE", "dead-letters"),
      attempts: read.string("ATTEMPTS_TABLE", "record-attempts"),
    },
    state: {
      deadLetterIndex: read.boolean("DEAD_LETTER_INDEX", true),
      deadLetterRetentionDays: read.integer("DEAD_LETTER_RETENTION_DAYS", 90, { min: 0 }),
      maxTransientFailures: read.integer("MAX_TRANSIENT_FAILURES", 5, { min: 0 }),
      idempotency: read.boolean("IDEMPOTENCY", false),
      idempotencyTtlSeconds: read.integer("IDEMPOTENCY_TTL_SECONDS", 86_400, { min: 60 }),
    },
    processing: {
      failureKeyName: read.oneOf("FAILURE_KEY_NAME", FAILURE_KEY_NAMES, "partition"),
      ordered: read.boolean("ORDERED", true),
      throwOnFullBatchFailure: read.boolean("THROW_ON_FULL_BATCH_FAILURE", true),
      maxErrorMessageLength: read.integer("MAX_ERROR_MESSAGE_LENGTH", 1024, { min: 16 }),
      maxOutputRecordBytes: read.integer("MAX_OUTPUT_RECORD_BYTES", 1_000_000, { min: 1 }),
      deadlineSafetyMs: read.integer("DEADLINE_SAFETY_MS", 2_000, { min: 0 }),
      topicOverrides: read.topicOverrides("TOPIC_OVERRIDES"),
      maxRequestBytes: read.integer("MAX_REQUEST_BYTES", 900_000, { min: 1_024 }),
      unroutable: read.oneOf(
        "UNROUTABLE_RECORDS",
        Object.values(UNROUTABLE_POLICIES),
        UNROUTABLE_POLICIES.retry,
      ),
      sourceTopics: read.list("SOURCE_TOPICS"),
    },
    canary: { topic: canaryTopic(read.optional("CANARY_TOPIC")) },
  };
}

/** Kafka's own topic name rule, and room for the `.out` / `.dlq` suffixes of the canary's topics. */
function canaryTopic(topic: string | undefined): string | undefined {
  if (topic !== undefined && !/^(?!\.{1,2}$)[a-zA-Z0-9._-]{1,245}$/.test(topic)) {
    throw new ConfigError(
      "CANARY_TOPIC",
      `must be a Kafka topic name of at most 245 characters, got "${topic}"`,
    );
  }
  return topic;
}

/** Parses one variable at a time so every error names the variable and what was expected. */
class EnvReader {
  constructor(private readonly env: Env) {}

  optional(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  }

  string(name: string, fallback: string): string {
    return this.optional(name) ?? fallback;
  }

  integer(name: string, fallback: number, bounds: { min?: number; max?: number } = {}): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(value)) {
      throw new ConfigError(name, `must be an integer, got "${raw}"`);
    }
    if (bounds.min !== undefined && value < bounds.min) {
      throw new ConfigError(name, `must be at least ${bounds.min}, got ${value}`);
    }
    if (bounds.max !== undefined && value > bounds.max) {
      throw new ConfigError(name, `must be at most ${bounds.max}, got ${value}`);
    }
    return value;
  }

  port(name: string, fallback: number): number {
    return this.integer(name, fallback, { min: 1, max: 65_535 });
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const value = raw.toLowerCase();
    if (["true", "1", "yes"].includes(value)) return true;
    if (["false", "0", "no"].includes(value)) return false;
    throw new ConfigError(name, `must be true or false, got "${raw}"`);
  }

  oneOf<const T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      throw new ConfigError(name, `must be one of ${allowed.join(", ")}, got "${raw}"`);
    }
    return raw as T;
  }

  list(name: string): string[] | undefined {
    const raw = this.optional(name);
    if (raw === undefined) return undefined;
    const items = raw
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "");
    if (items.length === 0) throw new ConfigError(name, "must be a comma-separated list, got nothing");
    return items;
  }

  url(name: string, fallback: string | undefined): string | undefined {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new ConfigError(name, `must be a URL such as http://127.0.0.1:9000, got "${raw}"`);
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw new ConfigError(name, `must be an http(s) URL, got "${raw}"`);
    }
    return raw;
  }

  brokers(name: string, fallback: string[]): string[] {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const brokers = raw
      .split(",")
      .map((b) => b.trim())
      .filter((b) => b !== "");
    for (const broker of brokers) {
      // host:port, or [IPv6]:port
      const match = /^(?:\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):(\d{1,5})$/.exec(broker);
      const port = Number(match?.[1]);
      if (match === null || port < 1 || port > 65_535) {
        throw new ConfigError(
          name,
          `must be comma-separated host:port pairs (port 1-65535), got "${broker}"`,
        );
      }
    }
    if (brokers.length === 0) throw new ConfigError(name, "must name at least one broker");
    return brokers;
  }

  topicOverrides(name: string): Record<string, TopicOverride> {
    const raw = this.optional(name);
    if (raw === undefined) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new ConfigError(
        name,
        'must be JSON such as {"orders":{"target":"orders.out","dlq":"orders.dlq"}}',
      );
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError(name, "must be a JSON object keyed by source topic");
    }
    const overrides: Record<string, TopicOverride> = {};
    for (const [topic, value] of Object.entries(parsed)) {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new ConfigError(name, `entry "${topic}" must be an object with "target" and/or "dlq"`);
      }
      const unknown = Object.keys(value).filter((key) => key !== "target" && key !== "dlq");
      if (unknown.length > 0) {
        throw new ConfigError(
          name,
          `entry "${topic}" has unknown keys ${unknown.join(", ")}; allowed: target, dlq`,
        );
      }
      const { target, dlq } = value as Record<string, unknown>;
      const isTopicName = (v: unknown): v is string | undefined =>
        v === undefined || (typeof v === "string" && v.trim() !== "");
      if (topic.trim() === "" || !isTopicName(target) || !isTopicName(dlq)) {
        throw new ConfigError(name, `entry "${topic}": "target" and "dlq" must be topic names, not empty`);
      }
      overrides[topic] = {
        ...(target === undefined ? {} : { target }),
        ...(dlq === undefined ? {} : { dlq }),
      };
    }
    return overrides;
  }
}
