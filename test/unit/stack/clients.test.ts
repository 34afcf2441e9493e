import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../functions/lib/config";
import { localDynamoDbClientConfig, localKafkaConfig, localS3ClientConfig } from "../../../stack/clients";

describe("localS3ClientConfig", () => {
  it("uses path-style addressing and checksums only where required, for S3Proxy and MinIO", () => {
    const options = localS3ClientConfig(loadConfig({}));

    expect(options).toMatchObject({
      endpoint: "http://127.0.0.1:9000",
      forcePathStyle: true,
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      credentials: { accessKeyId: "local", secretAccessKey: "localsecret" },
    });
  });

  it("follows S3_PORT and AWS_REGION", () => {
    const options = localS3ClientConfig(loadConfig({ S3_PORT: "19000", AWS_REGION: "eu-west-1" }));

    expect(options).toMatchObject({ endpoint: "http://127.0.0.1:19000", region: "eu-west-1" });
  });
});

describe("localDynamoDbClientConfig", () => {
  it("points at DynamoDB Local on DYNAMODB_PORT", () => {
    const options = localDynamoDbClientConfig(loadConfig({ DYNAMODB_PORT: "18000" }));

    expect(options).toMatchObject({ endpoint: "http://127.0.0.1:18000", region: "us-east-1" });
  });
});

describe("localKafkaConfig", () => {
  it("connects to the broker on KAFKA_PORT and lets callers override options", () => {
    const options = localKafkaConfig({ clientId: "test" }, loadConfig({ KAFKA_PORT: "19092" }));

    expect(options).toMatchObject({ brokers: ["127.0.0.1:19092"], clientId: "test" });
  });
});
