import { describe, expect, it } from "vitest";
import { type SecretReader, tlsOptions } from "../../../functions/lib/adapters/kafkaClient";
import { loadConfig } from "../../../functions/lib/config";
import { ConfigError } from "../../../functions/lib/core/errors";
import {
  checkSourceTopics,
  dynamoClientConfig,
  s3ClientConfig,
} from "../../../functions/lib/lambda/createProcessor";
import { pipelines } from "../../../functions/processor/pipelines";

const inLambda = { AWS_LAMBDA_FUNCTION_NAME: "kafka-processor", AWS_REGION: "eu-west-1" };

/** A secret reader that answers from a table: the secret shapes AWS documents. */
const secretsHolding =
  (secrets: Record<string, unknown>): SecretReader =>
  async (secretArn) =>
    secrets[secretArn] as Record<string, unknown>;

describe("AWS SDK clients of the functions (issue 13 item 1, issue 9 item 15)", () => {
  it.each([
    ["S3", s3ClientConfig],
    ["DynamoDB", dynamoClientConfig],
  ])("%s gets connect and request timeouts that fail the attempt", (_name, configOf) => {
    const config = loadConfig({
      ...inLambda,
      AWS_SDK_CONNECT_TIMEOUT_MS: "1500",
      AWS_SDK_REQUEST_TIMEOUT_MS: "4000",
    });

    expect(configOf(config)).toMatchObject({
      region: "eu-west-1",
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 1_500, requestTimeout: 4_000, throwOnRequestTimeout: true },
    });
  });

  it("defaults the timeouts to seconds, far inside any Lambda timeout", () => {
    const config = loadConfig(inLambda);

    expect(config.aws).toMatchObject({ connectTimeoutMs: 2_000, requestTimeoutMs: 5_000 });
  });
});

describe("a private root CA for self-managed Kafka (issue 13 item 3)", () => {
  const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

  it("trusts the CA from the mapping's SERVER_ROOT_CA_CERTIFICATE secret", async () => {
    const tls = await tlsOptions(
      { caSecretArn: "ca", tlsSecretArn: undefined, ssl: true, auth: "scram-sha-512" },
      secretsHolding({ ca: { certificate: pem } }),
    );

    expect(tls).toEqual({ ca: [pem] });
  });

  it("combines the CA with a client certificate for mutual TLS", async () => {
    const tls = await tlsOptions(
      { caSecretArn: "ca", tlsSecretArn: "client", ssl: true, auth: "none" },
      secretsHolding({ ca: { certificate: pem }, client: { certificate: "C", privateKey: "K" } }),
    );

    expect(tls).toEqual({ ca: [pem], cert: "C", key: "K" });
  });

  it("names the variable when the secret holds no certificate", async () => {
    const attempt = tlsOptions(
      { caSecretArn: "ca", tlsSecretArn: undefined, ssl: true, auth: "none" },
      secretsHolding({ ca: { cert: pem } }),
    );

    await expect(attempt).rejects.toThrow(/KAFKA_CA_SECRET_ARN/);
  });

  it("reads KAFKA_CA_SECRET_ARN", () => {
    expect(
      loadConfig({ ...inLambda, KAFKA_CA_SECRET_ARN: "arn:aws:secretsmanager:x" }).kafka.caSecretArn,
    ).toBe("arn:aws:secretsmanager:x");
  });
});

describe("INIT fails on a mapped topic without a pipeline (issue 9 item 14)", () => {
  it("names the topics the deployment maps but the code does not know", () => {
    const config = loadConfig({ ...inLambda, SOURCE_TOPICS: "employees,payments" });

    expect(() => checkSourceTopics(config, pipelines)).toThrow(ConfigError);
    expect(() => checkSourceTopics(config, pipelines)).toThrow(
      /SOURCE_TOPICS names topics without a pipeline: payments/,
    );
  });

  it("accepts a deployment whose topics all have pipelines", () => {
    const config = loadConfig({ ...inLambda, SOURCE_TOPICS: "employees, user-events" });

    expect(() => checkSourceTopics(config, pipelines)).not.toThrow();
  });

  it("reads UNROUTABLE_RECORDS", () => {
    expect(loadConfig(inLambda).processing.unroutable).toBe("retry");
    expect(loadConfig({ ...inLambda, UNROUTABLE_RECORDS: "dead-letter" }).processing.unroutable).toBe(
      "dead-letter",
    );
    expect(() => loadConfig({ ...inLambda, UNROUTABLE_RECORDS: "drop" })).toThrow(
      /UNROUTABLE_RECORDS must be one of/,
    );
  });
});
