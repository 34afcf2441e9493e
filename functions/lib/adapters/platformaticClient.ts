import type { ConnectionOptions } from "node:tls";
import type { ProducerOptions } from "@platformatic/kafka";
import type { AwsConfig, KafkaConfig } from "../config";
import { ConfigError } from "../core/errors";
import { lazySecretReader, type SecretReader, tlsOptions } from "./kafkaClient";

/** What every @platformatic/kafka producer of the sink is built with. */
export type PlatformaticProducerOptions = ProducerOptions<Buffer, Buffer, Buffer, Buffer>;

/**
 * Connection settings for @platformatic/kafka from the same configuration as kafkajs: PLAINTEXT,
 * or TLS with the public CAs, a private root CA and a client certificate for mutual TLS (the same
 * secrets, read by the same code as `kafkaClient.ts`). SASL (SCRAM, MSK IAM) is refused, here and
 * in `loadConfig`: untested through this library, and a silent fallback to an unauthenticated
 * connection is never an option.
 */
export async function platformaticConnection(
  config: KafkaConfig,
  aws: Pick<AwsConfig, "region" | "connectTimeoutMs" | "requestTimeoutMs">,
  secrets: SecretReader = lazySecretReader(aws),
): Promise<Pick<PlatformaticProducerOptions, "clientId" | "bootstrapBrokers" | "tls" | "tlsServerName">> {
  if (config.auth !== "none") {
    throw new ConfigError("KAFKA_PRODUCER", `platformatic does not support KAFKA_AUTH=${config.auth}`);
  }
  const tls = await tlsOptions(config, secrets);
  const base = { clientId: config.clientId, bootstrapBrokers: [...config.brokers] };
  if (tls === false) return base;
  const settings: ConnectionOptions = tls === true ? {} : tls;
  // SNI with the broker's host name, as kafkajs sends it (the library sends none unless told).
  return { ...base, tls: settings, tlsServerName: true };
}
