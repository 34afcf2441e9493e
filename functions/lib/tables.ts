/**
 * Key schema of the DynamoDB tables, shared by the functions, the local stack and the CDK construct
 * so the three can never disagree on attribute or index names.
 */

/** One item per dead letter; served by keys and indexes, never scans. */
export const DEAD_LETTER_TABLE = {
  partitionKey: "pk",
  sortKey: "sk",
  /** Dead letters of one source topic, newest first: `gsi1pk` = topic, `gsi1sk` = failedAt#partition#offset. */
  byTopicIndex: { name: "byTopic", partitionKey: "gsi1pk", sortKey: "gsi1sk" },
  /** Dead letters in one status (new, redriven, discarded), newest first. */
  byStatusIndex: { name: "byStatus", partitionKey: "gsi2pk", sortKey: "gsi2sk" },
  ttlAttribute: "expiresAt",
} as const;

/** Attempt ledger for transient failures and idempotency keys of records already produced. */
export const ATTEMPTS_TABLE = {
  partitionKey: "pk",
  ttlAttribute: "expiresAt",
} as const;
