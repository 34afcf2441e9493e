import { isProgrammingError, ProduceRejectedError, TransientError } from "../core/errors";

/**
 * Broker error types that reject the records themselves: retrying the same bytes cannot succeed.
 * Everything else a broker or the network says (unknown topic, not leader, timeouts, lost
 * connections, even authorization) is treated as transient: a record is never lost because a
 * dependency misbehaved, and the mapping's limits bound how long it is retried.
 */
export const RECORD_REJECTIONS: ReadonlySet<string> = new Set([
  "MESSAGE_TOO_LARGE",
  "RECORD_LIST_TOO_LARGE",
  "INVALID_RECORD",
  "CORRUPT_MESSAGE",
  "INVALID_TIMESTAMP",
]);

interface KafkaJsLikeError {
  readonly name?: string;
  readonly type?: string;
  readonly message?: string;
  readonly cause?: unknown;
  readonly originalError?: unknown;
  readonly errors?: readonly unknown[];
}

/** Every error in a kafkajs error's chain (retries-exceeded wrappers, aggregates). */
function chainOf(error: unknown): KafkaJsLikeError[] {
  const chain: KafkaJsLikeError[] = [];
  const pending: unknown[] = [error];
  while (pending.length > 0 && chain.length < 20) {
    const current = pending.shift();
    if (typeof current !== "object" || current === null) continue;
    const e = current as KafkaJsLikeError;
    chain.push(e);
    if (e.cause !== undefined && e.cause !== current) pending.push(e.cause);
    if (e.originalError !== undefined) pending.push(e.originalError);
    if (Array.isArray(e.errors)) pending.push(...e.errors);
  }
  return chain;
}

/** Translates whatever kafkajs threw into the pipeline's error model. Bugs pass through untouched. */
export function translateKafkaError(error: unknown, topic: string): Error {
  if (isProgrammingError(error)) return error as Error;
  const chain = chainOf(error);
  const rejection = chain.find((e) => e.type !== undefined && RECORD_REJECTIONS.has(e.type));
  if (rejection !== undefined) {
    return new ProduceRejectedError(`broker rejected records for "${topic}": ${rejection.type}`, {
      cause: error,
    });
  }
  const detail = chain
    .map((e) => e.type ?? e.message)
    .filter((s): s is string => typeof s === "string" && s !== "")
    .slice(-1)[0];
  return new TransientError(`producing to "${topic}" failed: ${detail ?? String(error)}`, { cause: error });
}
