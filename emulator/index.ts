export { bundleHandler } from "./bundleHandler";
export { type CliOptions, parseCliArgs, USAGE } from "./cliArgs";
export * from "./constants";
export { consumerLag, type PartitionLag } from "./consumerLag";
export {
  EventSourceMappingEmulator,
  type EventSourceMappingEmulatorOptions,
  type RunLimits,
  type RunResult,
  type SandboxOptions,
  STOP_REASONS,
  type StopReason,
} from "./EventSourceMappingEmulator";
export type { EmulatorStats, RuntimeStats } from "./emulatorStats";
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
export type {
  FunctionInvoker,
  InvocationReport,
  InvocationRequest,
  InvocationResult,
} from "./functionInvoker";
export { InProcessInvoker } from "./InProcessInvoker";
export { explicitPartitioner, KafkaOnFailureDestination } from "./KafkaOnFailureDestination";
export { createKafkaClient } from "./kafkaClient";
export { partitionForKey } from "./keyPartitioner";
export { createLambdaContext, invokeHandler } from "./lambdaContext";
export { loadHandler } from "./loadHandler";
export { consoleLogger, silentEmulatorLogger } from "./logger";
export {
  EVENT_RECORD_FORMATS,
  type EventRecordFormat,
  MappingSchemaRegistry,
  type MappingSchemaRegistryOptions,
} from "./MappingSchemaRegistry";
export * from "./onFailure";
export { ProgressDisplay, type ProgressDisplayOptions } from "./ProgressDisplay";
export * from "./responseRules";
export * from "./retryRules";
export { S3OnFailureDestination } from "./S3OnFailureDestination";
export {
  type FaultContext,
  type SandboxControl,
  type SandboxFaults,
  SandboxPool,
  type SandboxPoolOptions,
} from "./sandbox/SandboxPool";
export { lambdaHeapFlags } from "./sandbox/sandboxLaunch";
export {
  functionArnOf,
  type MappingSettingsInput,
  parseOnFailureTarget,
  resolveMappingSettings,
} from "./settings";
export type * from "./types";
