/**
 * Client options for the local stack, shared by the stack's own probes, the integration tests and the
 * functions' local runs so every client talks to S3Proxy/MinIO and DynamoDB Local the same way.
 */
import type { DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import type { S3ClientConfig } from "@aws-sdk/client-s3";
import { type KafkaConfig, logLevel } from "kafkajs";
import { type Config, loadConfig } from "../functions/lib/config";
import { LOCAL_CREDENTIALS } from "./constants";

/**
 * S3 options that work against S3Proxy and MinIO as well as AWS.
 *
 * Recent SDKs add CRC32 checksums and send streamed bodies as `aws-chunked` with trailing checksums;
 * S3Proxy breaks the connection on such uploads (EPIPE), so checksums are only computed and validated
 * when an operation requires them. Path-style addressing because `bucket.127.0.0.1` does not resolve.
 *
 * @example
 * const s3 = new S3Client(localS3ClientConfig());
 */
export function localS3ClientConfig(config: Config = loadConfig()): S3ClientConfig {
  return {
    region: config.aws.region,
    endpoint: config.aws.s3Endpoint,
    forcePathStyle: true,
    credentials: { ...LOCAL_CREDENTIALS },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  };
}

/**
 * DynamoDB Local options. The stack runs it with `-sharedDb`, so any credentials and region see the
 * same tables; fixed ones keep the SDK from searching for a profile.
 *
 * @example
 * const dynamodb = new DynamoDBClient(localDynamoDbClientConfig());
 */
export function localDynamoDbClientConfig(config: Config = loadConfig()): DynamoDBClientConfig {
  return {
    region: config.aws.region,
    endpoint: config.aws.dynamodbEndpoint,
    credentials: { ...LOCAL_CREDENTIALS },
  };
}

/**
 * kafkajs options for the local broker: plaintext, no auth, quiet unless told otherwise.
 *
 * @example
 * const kafka = new Kafka(localKafkaConfig({ clientId: "integration-test" }));
 */
export function localKafkaConfig(
  overrides: Partial<KafkaConfig> = {},
  config: Config = loadConfig(),
): KafkaConfig {
  return {
    clientId: config.kafka.clientId,
    brokers: [...config.kafka.brokers],
    logLevel: logLevel.NOTHING,
    ...overrides,
  };
}
