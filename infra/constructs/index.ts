export type { CanaryPipeline } from "./canaryPipeline";
export {
  DEFAULT_SOURCE_TOPICS,
  DEFAULTS,
  KAFKA_MAPPING_MAX_TIMEOUT,
  ON_FAILURE_S3_PREFIX,
  REDRIVE_SERVICE_NAME,
} from "./defaults";
export { PipelinePropsError } from "./errors";
export { KafkaLambdaPipeline, type KafkaLambdaPipelineProps } from "./KafkaLambdaPipeline";
export { MskResourceArns } from "./mskResourceArns";
export { type PipelineAlarms, PipelineMonitoring, type PipelineMonitoringProps } from "./PipelineMonitoring";
export type {
  ArchiveLifecycle,
  AwsServiceAccess,
  CanaryOptions,
  ConfluentMappingSchemaRegistry,
  EventRecordFormatName,
  GlueMappingSchemaRegistry,
  KafkaSource,
  MappingSchemaRegistry,
  MskSource,
  OnFailureDestination,
  PollerConfig,
  RedriveFunctionOptions,
  SchemaValidatedAttribute,
  SelfManagedAuthentication,
  SelfManagedKafkaSource,
  TopicPipeline,
} from "./types";
