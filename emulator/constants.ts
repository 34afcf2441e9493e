/**
 * Limits and defaults of a Lambda Kafka event source mapping, as AWS documents them
 * (../shared/KAFKA-LAMBDA-FACTS.md sections 1-3), so the emulator refuses what AWS would refuse.
 */

/** Largest synchronous invocation payload: 6 MB, counted in bytes of the JSON event. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

export const BATCH_SIZE = { default: 100, min: 1, max: 10_000 } as const;

/** Kafka mappings accept whole seconds up to 300; the emulator takes milliseconds for fast tests. */
export const BATCHING_WINDOW_MS = { default: 500, min: 0, max: 300_000 } as const;

/** -1 means infinite. */
export const RETRY_ATTEMPTS = { default: -1, infinite: -1, max: 10_000 } as const;

/** With an on-failure destination and infinite retries, Lambda applies at most this many. */
export const RETRY_ATTEMPTS_CAP_WITH_DESTINATION = 10;

/** -1 means infinite; otherwise 60 s to 7 days. */
export const MAX_RECORD_AGE_S = { default: -1, infinite: -1, min: 60, max: 604_800 } as const;

/** Lambda's own bounds for a function timeout; the default is the construct's, not Lambda's 3 s. */
export const TIMEOUT_S = { default: 60, min: 1, max: 900 } as const;

/**
 * Lambda's memory bounds, in MB; the default is the construct's processor memory (Lambda's own is
 * 128). https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html
 */
export const MEMORY_SIZE_MB = { default: 512, min: 128, max: 10_240 } as const;

/** Which key of `itemIdentifier` the mapping reads; AWS's pages disagree, see the README. */
export const ITEM_IDENTIFIER_KEYS = ["partition", "topic-partition"] as const;
export type ItemIdentifierKey = (typeof ITEM_IDENTIFIER_KEYS)[number];

export const STARTING_POSITIONS = ["TRIM_HORIZON", "LATEST"] as const;
export type StartingPosition = (typeof STARTING_POSITIONS)[number];

/** Why a batch went to the on-failure destination: `requestContext.condition` of AWS's document. */
export const FAILURE_CONDITIONS = {
  retriesExhausted: "RetryAttemptsExhausted",
  /** Not in AWS's Kafka pages; the stream mappings' name for records older than the maximum age. */
  recordAgeExceeded: "RecordAgeExceeded",
  payloadTooLarge: "MaximumPayloadSizeExceeded",
  /**
   * A schema registry on the mapping could not find the schema a record names, or could not
   * deserialize it with that schema. https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html
   */
  schemaNotFound: "SCHEMA_NOT_FOUND",
  deserializationError: "DESERIALIZATION_ERROR",
} as const;
export type FailureCondition = (typeof FAILURE_CONDITIONS)[keyof typeof FAILURE_CONDITIONS];

export const TIMESTAMP_TYPES = {
  createTime: "CREATE_TIME",
  logAppendTime: "LOG_APPEND_TIME",
} as const;
export type TimestampType = (typeof TIMESTAMP_TYPES)[keyof typeof TIMESTAMP_TYPES];

/** Version of the on-failure document, as in AWS's examples. */
export const ON_FAILURE_DOCUMENT_VERSION = "1.0";

export const DEFAULT_FUNCTION_NAME = "kafka-emulated-function";
export const DEFAULT_ACCOUNT_ID = "000000000000";
