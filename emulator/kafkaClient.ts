import { Kafka, type KafkaConfig, type logCreator, logLevel } from "kafkajs";
import type { EmulatorLogger, KafkaConnection } from "./types";

/**
 * A kafkajs client for the source cluster: plaintext or TLS, SASL PLAIN/SCRAM when given. kafkajs's
 * own errors are forwarded to the emulator's log as warnings (a broker going away is expected in
 * fault tests and is retried, not fatal).
 */
export function createKafkaClient(connection: KafkaConnection, logger: EmulatorLogger): Kafka {
  const config: KafkaConfig = {
    clientId: connection.clientId,
    brokers: [...connection.brokers],
    ssl: connection.ssl,
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    logLevel: logLevel.ERROR,
    logCreator: forwardTo(logger),
  };
  const { sasl } = connection;
  if (sasl === undefined) return new Kafka(config);
  return new Kafka({
    ...config,
    sasl:
      sasl.mechanism === "plain"
        ? { mechanism: "plain", username: sasl.username, password: sasl.password }
        : sasl.mechanism === "scram-sha-256"
          ? { mechanism: "scram-sha-256", username: sasl.username, password: sasl.password }
          : { mechanism: "scram-sha-512", username: sasl.username, password: sasl.password },
  });
}

function forwardTo(logger: EmulatorLogger): logCreator {
  return () =>
    ({ log }) => {
      const { message, error, broker } = log as { message: string; error?: unknown; broker?: unknown };
      logger.warn(`kafkajs: ${message}`, {
        ...(error === undefined ? {} : { error: String(error) }),
        ...(broker === undefined ? {} : { broker: String(broker) }),
      });
    };
}
