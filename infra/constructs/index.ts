export { PipelinePropsError } from "./errors";
export { KafkaLambdaPipeline, type KafkaLambdaPipelineProps } from "./KafkaLambdaPipeline";
export { MskResourceArns } from "./mskResourceArns";
export { type PipelineAlarms, PipelineMonitoring, type PipelineMonitoringProps } from "./PipelineMonitoring";
export {
  DEFAULT_SOURCE_TOPICS,
  DEFAULTS,
  ON_FAILURE_S3_PREFIX,
  REDRIVE_SERVICE_NAME,
} from "./resolveSettings";
export type {
  ArchiveLifecycle,
  KafkaSource,
  MskSource,
  OnFailureDestination,
  PollerConfig,
  RedriveFunctionOptions,
  SelfManagedAuthentication,
  SelfManagedKafkaSource,
  TopicPipeline,
} from "./types";
