export { fetchArtifacts, type MavenArtifact, servicePom, staleArtifacts } from "./artifacts";
export { localDynamoDbClientConfig, localKafkaConfig, localS3ClientConfig } from "./clients";
export * from "./constants";
export { MissingToolError, ServiceStartError, StackError } from "./errors";
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
