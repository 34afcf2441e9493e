/**
 * The broker's error code name (`LEADER_NOT_AVAILABLE`, `UNKNOWN_TOPIC_OR_PARTITION`) behind a kafkajs
 * error. kafkajs 2.2.4's own retries end in `KafkaJSNumberOfRetriesExceeded`, which keeps the
 * broker's error as its `cause` (not `originalError`, as the name of kafkajs's wrapper suggests).
 */
export function kafkaErrorType(error: unknown): string | undefined {
  const { type, cause, originalError } = (error ?? {}) as {
    type?: string;
    cause?: { type?: string };
    originalError?: { type?: string };
  };
  return type ?? cause?.type ?? originalError?.type;
}
