export { fetchArtifacts, type MavenArtifact, servicePom, staleArtifacts } from "./artifacts";
export { recordedBrokerCount, requestedBrokerCount, resolveBrokerCount } from "./brokerCount";
export { localDynamoDbClientConfig, localKafkaConfig, localS3ClientConfig } from "./clients";
export * from "./constants";
export { serviceContext } from "./context";
export { MissingToolError, ServiceStartError, StackError } from "./errors";
export {
  BROKERS_VARIABLE,
  type KafkaCluster,
  type KafkaNode,
  kafkaCluster,
  MAX_BROKERS,
  parseBrokerCount,
  type ReplicationDefaults,
  replicationDefaults,
} from "./kafkaCluster";
export { stackLayout } from "./layout";
export { readStackPorts } from "./ports";
export { ensureBucket, ensureTables, ensureTopics, type ProvisionResult, provisionStack } from "./provision";
export {
  SERVICES,
  type ServiceStopped,
  type StackStarted,
  type StartStackOptions,
  stackStatus,
  startService,
  startStack,
  stopService,
  stopStack,
} from "./stack";
export * from "./topology";
export * from "./types";
