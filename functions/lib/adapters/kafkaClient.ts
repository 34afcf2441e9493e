import type { ConnectionOptions } from "node:tls";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { generateAuthToken } from "aws-msk-iam-sasl-signer-js";
import {
  Kafka,
  type KafkaConfig as KafkaJsConfig,
  type logCreator,
  logLevel,
  type SASLOptions,
} from "kafkajs";
import type { KafkaConfig } from "../config";
import { ConfigError } from "../core/errors";
import type { ProcessorLogger } from "../core/ports";
import { silenceKafkajsTimeoutWarning } from "./kafkajsWarnings";

/**
 * Builds the kafkajs client from configuration: plaintext for the local stack, IAM (SASL
 * OAUTHBEARER with the AWS MSK signer) for MSK, SCRAM with credentials read from Secrets Manager
 * for self-managed clusters. Credentials never come from plain environment variables in AWS.
 */
export async function createKafka(
  config: KafkaConfig,
  region: string,
  logger: ProcessorLogger,
): Promise<Kafka> {
  silenceKafkajsTimeoutWarning();
  const options: KafkaJsConfig = {
    clientId: config.clientId,
    brokers: [...config.brokers],
    ssl:
      config.tlsSecretArn !== undefined
        ? await clientCertificate(config.tlsSecretArn, region)
        : config.ssl || config.auth === "iam",
    connectionTimeout: 3_000,
    requestTimeout: config.requestTimeoutMs,
    logLevel: logLevel.WARN,
    logCreator: forwardTo(logger),
  };
  const sasl = await saslOptions(config, region);
  return new Kafka(sasl === undefined ? options : { ...options, sasl });
}

async function saslOptions(config: KafkaConfig, region: string): Promise<SASLOptions | undefined> {
  switch (config.auth) {
    case "none":
      return undefined;
    case "iam":
      return {
        mechanism: "oauthbearer",
        oauthBearerProvider: async () => ({ value: (await generateAuthToken({ region })).token }),
      };
    case "scram-sha-256":
    case "scram-sha-512": {
      const { username, password } = await scramCredentials(config, region);
      return { mechanism: config.auth, username, password };
    }
  }
}

/**
 * Mutual TLS for self-managed clusters: the same secret the event source mapping uses, holding the
 * PEM `certificate` (chain), `privateKey` and optional `privateKeyPassword`.
 */
async function clientCertificate(secretArn: string, region: string): Promise<ConnectionOptions> {
  const secret = await readSecret(secretArn, region);
  if (typeof secret.certificate !== "string" || typeof secret.privateKey !== "string") {
    throw new ConfigError("KAFKA_TLS_SECRET_ARN", 'must name a secret holding {"certificate","privateKey"}');
  }
  return {
    cert: secret.certificate,
    key: secret.privateKey,
    ...(typeof secret.privateKeyPassword === "string" ? { passphrase: secret.privateKeyPassword } : {}),
  };
}

async function readSecret(secretArn: string, region: string): Promise<Record<string, unknown>> {
  const secrets = new SecretsManagerClient({ region });
  const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
  return JSON.parse(SecretString ?? "{}") as Record<string, unknown>;
}

async function scramCredentials(
  config: KafkaConfig,
  region: string,
): Promise<{ username: string; password: string }> {
  if (config.saslSecretArn !== undefined) {
    const secrets = new SecretsManagerClient({ region });
    const { SecretString } = await secrets.send(
      new GetSecretValueCommand({ SecretId: config.saslSecretArn }),
    );
    const parsed = JSON.parse(SecretString ?? "{}") as { username?: unknown; password?: unknown };
    if (typeof parsed.username !== "string" || typeof parsed.password !== "string") {
      throw new ConfigError("KAFKA_SASL_SECRET_ARN", 'must name a secret holding {"username","password"}');
    }
    return { username: parsed.username, password: parsed.password };
  }
  if (config.saslUsername !== undefined && config.saslPassword !== undefined) {
    return { username: config.saslUsername, password: config.saslPassword };
  }
  throw new ConfigError("KAFKA_SASL_SECRET_ARN", `is required when KAFKA_AUTH is ${config.auth}`);
}

/** kafkajs logs through the function's structured logger, at warn and above, without payloads. */
function forwardTo(logger: ProcessorLogger): logCreator {
  return () =>
    ({ level, log }) => {
      const { message, ...rest } = log;
      const attributes = { kafkajs: { namespace: rest.namespace, broker: rest.broker, error: rest.error } };
      if (level === logLevel.ERROR || level === logLevel.NOTHING)
        logger.error(`kafkajs: ${message}`, attributes);
      else if (level === logLevel.WARN) logger.warn(`kafkajs: ${message}`, attributes);
      else logger.debug(`kafkajs: ${message}`, attributes);
    };
}
