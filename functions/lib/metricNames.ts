/**
 * The CloudWatch metrics the processor publishes through EMF, shared with the CDK construct so the
 * dashboard and alarms can never drift from what the function emits.
 *
 * Every metric carries the Powertools `service` dimension; `RecordsDeadLettered` is published a
 * second time with the `Stage` dimension added, one EMF document per stage.
 */
export const METRIC_NAMES = {
  recordsReceived: "RecordsReceived",
  recordsProcessed: "RecordsProcessed",
  recordsDeadLettered: "RecordsDeadLettered",
  recordsRetried: "RecordsRetried",
  deadLetterWriteFailures: "DeadLetterWriteFailures",
  /** Dead letters the DLQ topic refused for good: their only copy is in the archive. */
  dlqCopiesAbsent: "DeadLettersWithoutDlqCopy",
  batchDuration: "BatchDuration",
} as const;
export type MetricName = (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES];

export const SERVICE_DIMENSION = "service";
export const STAGE_DIMENSION = "Stage";
export const DEFAULT_METRICS_NAMESPACE = "KafkaLambdaPipeline";
export const DEFAULT_SERVICE_NAME = "kafka-processor";
