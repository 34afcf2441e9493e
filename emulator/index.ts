export { bundleHandler } from "./bundleHandler";
export { type CliOptions, parseCliArgs, USAGE } from "./cliArgs";
export * from "./constants";
export { consumerLag, type PartitionLag } from "./consumerLag";
export {
  type EmulatorStats,
  EventSourceMappingEmulator,
  type EventSourceMappingEmulatorOptions,
  type RunLimits,
  type RunResult,
  STOP_REASONS,
  type StopReason,
} from "./EventSourceMappingEmulator";
export { EmulatorError, HandlerLoadError, InvocationTimeoutError, MappingSettingError } from "./errors";
export {
  buildInvocationEvent,
  countWithinPayloadCap,
  type EventEnvelope,
  partitionId,
  payloadBytes,
  serializeInvocationEvent,
  toPolledRecord,
} from "./eventBuilder";
export { KafkaOnFailureDestination } from "./KafkaOnFailureDestination";
export { createKafkaClient } from "./kafkaClient";
export { createLambdaContext, invokeHandler } from "./lambdaContext";
export { loadHandler } from "./loadHandler";
export { consoleLogger, silentEmulatorLogger } from "./logger";
export * from "./onFailure";
export { ProgressDisplay, type ProgressDisplayOptions } from "./ProgressDisplay";
export * from "./responseRules";
export * from "./retryRules";
export { S3OnFailureDestination } from "./S3OnFailureDestination";
export {
  functionArnOf,
  type MappingSettingsInput,
  parseOnFailureTarget,
  resolveMappingSettings,
} from "./settings";
export type * from "./types";
