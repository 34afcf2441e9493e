/**
 * Header names the pipeline writes. Documented in the README; changing one breaks consumers.
 *
 * Dead-letter headers describe the latest failure only: when a redriven record fails again its
 * previous `x-dlq-*` headers are replaced, not stacked (Spring Kafka strips them for the same reason:
 * headers would grow with every round trip).
 */
export const DEAD_LETTER_HEADER_PREFIX = "x-dlq-";

export const DEAD_LETTER_HEADERS = {
  /** The record's id (`recordId`): a copy written again after a redelivery carries the same one. */
  recordId: "x-dlq-record-id",
  originalTopic: "x-dlq-original-topic",
  originalPartition: "x-dlq-original-partition",
  originalOffset: "x-dlq-original-offset",
  originalTimestamp: "x-dlq-original-timestamp",
  originalTimestampType: "x-dlq-original-timestamp-type",
  stage: "x-dlq-stage",
  errorClass: "x-dlq-error-class",
  errorMessage: "x-dlq-error-message",
  attempts: "x-dlq-attempts",
  failedAt: "x-dlq-failed-at",
  functionName: "x-dlq-function-name",
  requestId: "x-dlq-request-id",
  archiveKey: "x-dlq-archive-key",
  envelopeVersion: "x-dlq-envelope-version",
} as const;

export const LINEAGE_HEADER_PREFIX = "x-lineage-";

/** Added to every record written to a target topic, so any output can be traced to its input. */
export const LINEAGE_HEADERS = {
  sourceTopic: "x-lineage-source-topic",
  sourcePartition: "x-lineage-source-partition",
  sourceOffset: "x-lineage-source-offset",
  processedBy: "x-lineage-processed-by",
} as const;

/**
 * Set by a redrive on the record it replays to the source topic: how often it was redriven and the
 * dead letter it came from. A record redriven too often is refused, so nothing loops forever.
 */
export const REDRIVE_HEADERS = {
  count: "x-redrive-count",
  deadLetterId: "x-redrive-dead-letter-id",
  redrivenAt: "x-redrive-at",
} as const;
