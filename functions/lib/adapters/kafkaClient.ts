import type { ConnectionOptions } from "node:tls";
import {
  Kafka,
  type KafkaConfig as KafkaJsConfig,
  type logCreator,
  logLevel,
  type SASLOptions,
} from "kafkajs";
import type { AwsConfig, KafkaConfig } from "../config";
import { ConfigError } from "../core/errors";
import type { ProcessorLogger } from "../core/ports";
import { silenceKafkajsTimeoutWarning } from "./kafkajsWarnings";
import type { KafkaSecrets } from "./kafkaSecrets";

/** Reads a secret's JSON; the Secrets Manager client behind it is created on the first read. */
export type SecretReader = (secretArn: string) => Promise<Record<string, unknown>>;

/**
 * Builds the kafkajs client from configuration: plaintext for the local stack, IAM (SASL
 * OAUTHBEARER with the AWS MSK signer) for MSK, SCRAM with credentials read from Secrets Manager
 * for self-managed clusters. Credentials never come from plain environment variables in AWS.
 */
export async function createKafka(
  config: KafkaConfig,
  aws: Pick<AwsConfig, "region" | "connectTimeoutMs" | "requestTimeoutMs">,
  logger: ProcessorLogger,
  // Loaded only where a secret is named (SCRAM, mTLS, a private CA): IAM and plaintext never need it.
  secrets: SecretReader = lazySecretReader(aws),
): Promise<Kafka> {
  silenceKafkajsTimeoutWarning();
  const { region } = aws;
  const options: KafkaJsConfig = {
    clientId: config.clientId,
    brokers: [...config.brokers],
    ssl: await tlsOptions(config, secrets),
    connectionTimeout: 3_000,
    requestTimeout: config.requestTimeoutMs,
    logLevel: logLevel.WARN,
    logCreator: forwardTo(logger),
  };
  const sasl = await saslOptions(config, region, secrets);
  return new Kafka(sasl === undefined ? options : { ...options, sasl });
}

/**
 * TLS settings: a private root CA (the same secret the mapping gets as SERVER_ROOT_CA_CERTIFICATE,
 * `{"certificate": "<PEM>"}`; https://docs.aws.amazon.com/lambda/latest/dg/kafka-cluster-auth.html)
 * and a client certificate for mutual TLS, either or both; plain `true` trusts the public CAs.
 */
export async function tlsOptions(
  config: Pick<KafkaConfig, "tlsSecretArn" | "caSecretArn" | "ssl" | "auth">,
  secrets: SecretReader,
): Promise<ConnectionOptions | boolean> {
  const tls: ConnectionOptions = {};
  if (config.caSecretArn !== undefined) {
    const secret = await secrets(config.caSecretArn);
    if (typeof secret.certificate !== "string" || !secret.certificate.includes("BEGIN CERTIFICATE")) {
      throw new ConfigError(
        "KAFKA_CA_SECRET_ARN",
        'must name a secret holding {"certificate": "<PEM root CA>"}',
      );
    }
    tls.ca = [secret.certificate];
  }
  if (config.tlsSecretArn !== undefined)
    Object.assign(tls, await clientCertificate(secrets, config.tlsSecretArn));
  if (Object.keys(tls).length > 0) return tls;
  return config.ssl || config.auth === "iam";
}

/**
 * A {@link SecretReader} over one Secrets Manager client, loaded with its module by the first read
 * (issue 11: INIT loads only what the configuration needs; IAM and plaintext read no secret).
 */
export function lazySecretReader(
  aws: Pick<AwsConfig, "region" | "connectTimeoutMs" | "requestTimeoutMs">,
): SecretReader {
  let secrets: Promise<KafkaSecrets> | undefined;
  return async (secretArn) => {
    secrets ??= import("./kafkaSecrets").then(({ KafkaSecrets }) => new KafkaSecrets(aws));
    return (await secrets).read(secretArn);
  };
}

async function saslOptions(
  config: KafkaConfig,
  region: string,
  secrets: SecretReader,
): Promise<SASLOptions | undefined> {
  switch (config.auth) {
    case "none":
      return undefined;
    case "iam":
      return {
        mechanism: "oauthbearer",
        // The signer (and the credential chain under it) loads with the first token, at connect.
        oauthBearerProvider: async () => {
          const { generateAuthToken } = await import("aws-msk-iam-sasl-signer-js");
          return { value: (await generateAuthToken({ region })).token };
        },
      };
    case "scram-sha-256":
    case "scram-sha-512": {
      const { username, password } = await scramCredentials(config, secrets);
      return { mechanism: config.auth, username, password };
    }
  }
}

/**
 * Mutual TLS for self-managed clusters: the same secret the event source mapping uses, holding the
 * PEM `certificate` (chain), `privateKey` and optional `privateKeyPassword`.
 */
async function clientCertificate(secrets: SecretReader, secretArn: string): Promise<ConnectionOptions> {
  const secret = await secrets(secretArn);
  if (typeof secret.certificate !== "string" || typeof secret.privateKey !== "string") {
    throw new ConfigError("KAFKA_TLS_SECRET_ARN", 'must name a secret holding {"certificate","privateKey"}');
  }
  return {
    cert: secret.certificate,
    key: secret.privateKey,
    ...(typeof secret.privateKeyPassword === "string" ? { passphrase: secret.privateKeyPassword } : {}),
  };
}

async function scramCredentials(
  config: KafkaConfig,
  secrets: SecretReader,
): Promise<{ username: string; password: string }> {
  if (config.saslSecretArn !== undefined) {
    const parsed = await secrets(config.saslSecretArn);
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
