import type { KafkaSource } from "./types";

/**
 * The Kafka connection variables that functions/lib/config.ts reads, for every function that
 * produces to the source cluster (the processor, the redrive, a function added with addFunction).
 */
export function kafkaEnvironment(source: KafkaSource): Record<string, string> {
  if (source.type === "msk") {
    return { KAFKA_BROKERS: source.bootstrapBrokers, KAFKA_SSL: "true", KAFKA_AUTH: "iam" };
  }
  const common = {
    KAFKA_BROKERS: source.bootstrapServers.join(","),
    KAFKA_SSL: "true",
    // The same secret the mapping gets as SERVER_ROOT_CA_CERTIFICATE: JSON {"certificate": "<PEM>"}
    // (https://docs.aws.amazon.com/lambda/latest/dg/kafka-cluster-auth.html), so the producer trusts
    // the brokers' private CA too.
    ...(source.rootCaSecret === undefined ? {} : { KAFKA_CA_SECRET_ARN: source.rootCaSecret.secretArn }),
  };
  switch (source.authentication) {
    case "sasl-scram-512":
      return { ...common, KAFKA_AUTH: "scram-sha-512", KAFKA_SASL_SECRET_ARN: source.secret.secretArn };
    case "sasl-scram-256":
      return { ...common, KAFKA_AUTH: "scram-sha-256", KAFKA_SASL_SECRET_ARN: source.secret.secretArn };
    case "mtls":
      // The producer presents the same client certificate as the mapping.
      return { ...common, KAFKA_AUTH: "none", KAFKA_TLS_SECRET_ARN: source.secret.secretArn };
  }
}
