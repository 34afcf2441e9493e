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

/**
 * The broker's answers while a partition's leadership moves (an election, a broker restarting or
 * healing) or a new leader has not created the partition's log yet: worth asking again shortly.
 * kafkajs calls NOT_LEADER_OR_FOLLOWER by its old name, NOT_LEADER_FOR_PARTITION.
 */
export const LEADERSHIP_MOVING = ["LEADER_NOT_AVAILABLE", "NOT_LEADER_FOR_PARTITION"] as const;

export function isLeadershipMoving(error: unknown): boolean {
  return (LEADERSHIP_MOVING as readonly string[]).includes(kafkaErrorType(error) ?? "");
}
