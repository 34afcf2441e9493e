import { describe, expect, it } from "vitest";
import { LOCAL_PORTS, loadConfig } from "../../functions/lib/config";
import { ConfigError } from "../../functions/lib/core/errors";

describe("loadConfig defaults", () => {
  const config = loadConfig({});

  it("points every client at the local stack", () => {
    expect(config.kafka.brokers).toEqual([`127.0.0.1:${LOCAL_PORTS.kafka}`]);
    expect(config.aws.s3Endpoint).toBe(`http://127.0.0.1:${LOCAL_PORTS.s3}`);
    expect(config.aws.dynamodbEndpoint).toBe(`http://127.0.0.1:${LOCAL_PORTS.dynamodb}`);
    expect(config.aws.region).toBe("us-east-1");
  });

  it("uses plaintext Kafka without authentication", () => {
    expect(config.kafka).toEqual({
      brokers: ["127.0.0.1:9092"],
      clientId: "kafka-lambda-pipeline",
      ssl: false,
      auth: "none",
      saslSecretArn: undefined,
      saslUsername: undefined,
      saslPassword: undefined,
      requestTimeoutMs: 10_000,
      compression: "none",
      producer: "kafkajs",
    });
  });

  it("compresses produce requests only when told to", () => {
    expect(loadConfig({ KAFKA_COMPRESSION: "gzip" }).kafka.compression).toBe("gzip");
  });

  it("produces with @platformatic/kafka only when told to, over PLAINTEXT or TLS", () => {
    expect(loadConfig({ KAFKA_PRODUCER: "platformatic" }).kafka.producer).toBe("platformatic");
    expect(loadConfig({ KAFKA_PRODUCER: "platformatic", KAFKA_SSL: "true" }).kafka).toMatchObject({
      producer: "platformatic",
      ssl: true,
    });
  });

  it.each(["scram-sha-256", "scram-sha-512", "iam"])(
    "refuses KAFKA_PRODUCER=platformatic with KAFKA_AUTH=%s instead of connecting without it",
    (auth) => {
      expect(() =>
        loadConfig({
          KAFKA_PRODUCER: "platformatic",
          KAFKA_AUTH: auth,
          KAFKA_SASL_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:1:secret:x",
        }),
      ).toThrow(expect.objectContaining({ name: "ConfigError", variable: "KAFKA_PRODUCER" }));
    },
  );

  it("names the local bucket and tables", () => {
    expect(config.archive).toEqual({ bucket: "dead-letters-local", prefix: "dead-letters" });
    expect(config.tables).toEqual({ deadLetters: "dead-letters", attempts: "record-attempts" });
  });

  it("processes in order and reports with the safe defaults", () => {
    expect(config.processing).toEqual({
      failureKeyName: "partition",
      ordered: true,
      throwOnFullBatchFailure: true,
      maxErrorMessageLength: 1024,
      maxOutputRecordBytes: 1_000_000,
      deadlineSafetyMs: 2_000,
      topicOverrides: {},
      maxRequestBytes: 900_000,
      unroutable: "retry",
      sourceTopics: undefined,
    });
  });

  it("reads process.env when called without arguments", () => {
    expect(loadConfig().kafka.clientId).toEqual(expect.any(String));
  });
});

describe("loadConfig in Lambda", () => {
  it("leaves the AWS endpoints undefined so the SDK uses the real ones", () => {
    const config = loadConfig({ AWS_LAMBDA_FUNCTION_NAME: "processor" });

    expect(config.aws.s3Endpoint).toBeUndefined();
    expect(config.aws.dynamodbEndpoint).toBeUndefined();
  });

  it("still honours explicit endpoints", () => {
    const config = loadConfig({
      AWS_LAMBDA_FUNCTION_NAME: "processor",
      S3_ENDPOINT: "https://s3.example.test",
      DYNAMODB_ENDPOINT: "http://10.0.0.1:8000",
    });

    expect(config.aws.s3Endpoint).toBe("https://s3.example.test");
    expect(config.aws.dynamodbEndpoint).toBe("http://10.0.0.1:8000");
  });
});

describe("loadConfig overrides", () => {
  it("moves every local endpoint with its port variable", () => {
    const config = loadConfig({ KAFKA_PORT: "19092", S3_PORT: "19000", DYNAMODB_PORT: "18000" });

    expect(config.kafka.brokers).toEqual(["127.0.0.1:19092"]);
    expect(config.aws.s3Endpoint).toBe("http://127.0.0.1:19000");
    expect(config.aws.dynamodbEndpoint).toBe("http://127.0.0.1:18000");
  });

  it("splits and trims a broker list, dropping empty entries", () => {
    const config = loadConfig({ KAFKA_BROKERS: " b-1.msk.example:9098, b-2.msk.example:9098 ,," });

    expect(config.kafka.brokers).toEqual(["b-1.msk.example:9098", "b-2.msk.example:9098"]);
  });

  it("reads Kafka security settings", () => {
    const config = loadConfig({
      KAFKA_SSL: "true",
      KAFKA_AUTH: "scram-sha-512",
      KAFKA_SASL_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:AmazonMSK_x",
      KAFKA_CLIENT_ID: "orders",
      KAFKA_REQUEST_TIMEOUT_MS: "30000",
    });

    expect(config.kafka).toMatchObject({
      ssl: true,
      auth: "scram-sha-512",
      saslSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:AmazonMSK_x",
      clientId: "orders",
      requestTimeoutMs: 30_000,
    });
  });

  it.each([
    ["true", true],
    ["1", true],
    ["YES", true],
    [" False ", false],
    ["0", false],
    ["no", false],
  ])("reads the boolean %j as %s", (raw, expected) => {
    expect(loadConfig({ ORDERED: raw }).processing.ordered).toBe(expected);
  });

  it("treats blank values as unset", () => {
    const config = loadConfig({ ARCHIVE_BUCKET: "   ", KAFKA_PORT: "", ORDERED: "" });

    expect(config.archive.bucket).toBe("dead-letters-local");
    expect(config.kafka.brokers).toEqual(["127.0.0.1:9092"]);
    expect(config.processing.ordered).toBe(true);
  });

  it("drops trailing slashes from the archive prefix", () => {
    expect(loadConfig({ ARCHIVE_PREFIX: "dlq/archive//" }).archive.prefix).toBe("dlq/archive");
  });

  it("reads processing limits and the failure key name", () => {
    const config = loadConfig({
      FAILURE_KEY_NAME: "topic-partition",
      THROW_ON_FULL_BATCH_FAILURE: "false",
      MAX_ERROR_MESSAGE_LENGTH: "16",
      MAX_OUTPUT_RECORD_BYTES: "1",
      DEADLINE_SAFETY_MS: "0",
    });

    expect(config.processing).toMatchObject({
      failureKeyName: "topic-partition",
      throwOnFullBatchFailure: false,
      maxErrorMessageLength: 16,
      maxOutputRecordBytes: 1,
      deadlineSafetyMs: 0,
    });
  });

  it("reads per-topic overrides, keeping only the names given", () => {
    const config = loadConfig({
      TOPIC_OVERRIDES: '{"orders":{"target":"orders.out","dlq":"orders.dead"},"users":{"dlq":"users.dead"}}',
    });

    expect(config.processing.topicOverrides).toEqual({
      orders: { target: "orders.out", dlq: "orders.dead" },
      users: { dlq: "users.dead" },
    });
  });
});

describe("loadConfig rejects bad values, naming the variable", () => {
  describe.each([
    ["KAFKA_PORT", "ninety", /must be an integer, got "ninety"/],
    ["KAFKA_PORT", "0", /must be at least 1, got 0/],
    ["S3_PORT", "65536", /must be at most 65535, got 65536/],
    ["DYNAMODB_PORT", "80.5", /must be an integer/],
    ["KAFKA_REQUEST_TIMEOUT_MS", "99", /must be at least 100, got 99/],
    ["MAX_ERROR_MESSAGE_LENGTH", "15", /must be at least 16/],
    ["MAX_OUTPUT_RECORD_BYTES", "0", /must be at least 1/],
    ["DEADLINE_SAFETY_MS", "-1", /must be at least 0, got -1/],
    ["KAFKA_SSL", "maybe", /must be true or false, got "maybe"/],
    ["ORDERED", "on", /must be true or false/],
    ["KAFKA_AUTH", "plain", /must be one of none, scram-sha-256, scram-sha-512, iam, got "plain"/],
    ["FAILURE_KEY_NAME", "offset", /must be one of partition, topic-partition/],
    ["KAFKA_COMPRESSION", "zstd", /must be one of none, gzip, got "zstd"/],
    ["KAFKA_PRODUCER", "rdkafka", /must be one of kafkajs, platformatic, got "rdkafka"/],
    ["S3_ENDPOINT", "not a url", /must be a URL such as http:\/\/127\.0\.0\.1:9000/],
    ["DYNAMODB_ENDPOINT", "ftp://127.0.0.1:8000", /must be an http\(s\) URL/],
    [
      "KAFKA_BROKERS",
      "broker-without-port",
      /must be comma-separated host:port pairs \(port 1-65535\), got "broker-without-port"/,
    ],
    ["KAFKA_BROKERS", "broker:0", /port 1-65535/],
    ["KAFKA_BROKERS", "broker:70000", /port 1-65535/],
    ["KAFKA_PORT", "1e20", /must be an integer/],
    ["KAFKA_SSL", "Maybe", /got "Maybe"/],
    ["TOPIC_OVERRIDES", '{"orders":[]}', /entry "orders" must be an object/],
    ["TOPIC_OVERRIDES", '{"orders":{"targt":"x"}}', /unknown keys targt; allowed: target, dlq/],
    ["TOPIC_OVERRIDES", '{"orders":{"target":""}}', /must be topic names, not empty/],
    ["KAFKA_BROKERS", " , ", /must name at least one broker/],
    ["TOPIC_OVERRIDES", "{orders:", /must be JSON such as/],
    ["TOPIC_OVERRIDES", '["orders"]', /must be a JSON object keyed by source topic/],
    ["TOPIC_OVERRIDES", '{"orders":"orders.out"}', /entry "orders" must be an object/],
    ["TOPIC_OVERRIDES", '{"orders":{"target":42}}', /entry "orders": "target" and "dlq" must be topic names/],
  ])("%s=%s", (variable, value, problem) => {
    it("throws a ConfigError that names the variable and the problem", () => {
      let thrown: unknown;
      try {
        loadConfig({ [variable]: value });
      } catch (error) {
        thrown = error;
      }

      expect(thrown).toBeInstanceOf(ConfigError);
      expect((thrown as ConfigError).variable).toBe(variable);
      expect((thrown as ConfigError).message).toMatch(new RegExp(`^${variable} `));
      expect((thrown as ConfigError).message).toMatch(problem);
      expect((thrown as ConfigError).retriable).toBe(false);
    });
  });
});

describe("loadConfig cross-checks", () => {
  it("refuses SCRAM without a secret (or local credentials), naming the secret variable", () => {
    expect(() => loadConfig({ KAFKA_AUTH: "scram-sha-512" })).toThrow(
      /^KAFKA_SASL_SECRET_ARN is required when KAFKA_AUTH is scram-sha-512/,
    );
    expect(
      loadConfig({ KAFKA_AUTH: "scram-sha-512", KAFKA_SASL_SECRET_ARN: "arn:aws:secretsmanager:x" }).kafka
        .auth,
    ).toBe("scram-sha-512");
  });

  it("accepts IPv6 brokers in brackets", () => {
    expect(loadConfig({ KAFKA_BROKERS: "[::1]:9092,b-1.demo:9098" }).kafka.brokers).toEqual([
      "[::1]:9092",
      "b-1.demo:9098",
    ]);
  });

  it("treats an empty AWS_LAMBDA_FUNCTION_NAME as not running in Lambda", () => {
    expect(loadConfig({ AWS_LAMBDA_FUNCTION_NAME: "" }).aws.s3Endpoint).toBe("http://127.0.0.1:9000");
  });
});
