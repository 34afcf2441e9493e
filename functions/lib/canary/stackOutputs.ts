/**
 * Names of the stack outputs the `canary` tool reads (`npm run canary -- --stack <name>`), written by
 * infra/KafkaPipelineStack.ts: one list, so the stack and the tool cannot drift apart. The first four
 * exist in every stack; the others only when the canary is deployed.
 */
export const CANARY_STACK_OUTPUTS = {
  processorFunctionName: "ProcessorFunctionName",
  archiveBucket: "ArchiveBucketName",
  deadLetterTable: "DeadLetterTableName",
  attemptsTable: "AttemptsTableName",
  canaryTopic: "CanaryTopic",
  canaryTargetTopic: "CanaryTargetTopic",
  canaryDlqTopic: "CanaryDlqTopic",
  archivePrefix: "ArchivePrefix",
  failureKeyName: "FailureKeyName",
  region: "Region",
} as const;

/**
 * The processor's Kafka connection as outputs, by the variable of functions/lib/config.ts each one
 * feeds: the tool connects the way the function does (brokers, TLS, IAM or SCRAM, the private CA).
 * Secret ARNs are not secrets; the tool reads the secrets themselves with the caller's credentials.
 */
export const KAFKA_CONNECTION_OUTPUTS = {
  KAFKA_BROKERS: "KafkaBootstrapBrokers",
  KAFKA_SSL: "KafkaSsl",
  KAFKA_AUTH: "KafkaAuth",
  KAFKA_SASL_SECRET_ARN: "KafkaSaslSecretArn",
  KAFKA_TLS_SECRET_ARN: "KafkaTlsSecretArn",
  KAFKA_CA_SECRET_ARN: "KafkaCaSecretArn",
} as const;
