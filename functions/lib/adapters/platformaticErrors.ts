import { isProgrammingError, ProduceRejectedError, TransientError } from "../core/errors";
import { RECORD_REJECTIONS } from "./kafkaErrors";

/** What @platformatic/kafka's errors carry: `apiId` is the broker's error name, `errors` nests. */
interface PlatformaticLikeError {
  readonly code?: string;
  readonly apiId?: string;
  readonly message?: string;
  readonly cause?: unknown;
  readonly errors?: readonly unknown[];
}

/** Every error in a @platformatic/kafka error's chain (retry aggregates, per-partition responses). */
function chainOf(error: unknown): PlatformaticLikeError[] {
  const chain: PlatformaticLikeError[] = [];
  const pending: unknown[] = [error];
  while (pending.length > 0 && chain.length < 50) {
    const current = pending.shift();
    if (typeof current !== "object" || current === null) continue;
    const e = current as PlatformaticLikeError;
    chain.push(e);
    if (e.cause !== undefined && e.cause !== current) pending.push(e.cause);
    if (Array.isArray(e.errors)) pending.push(...e.errors);
  }
  return chain;
}

/**
 * Translates what @platformatic/kafka threw into the pipeline's error model, with the same table
 * of record rejections as kafkajs ({@link RECORD_REJECTIONS}): a broker refusing the records is a
 * `ProduceRejectedError` (dead-lettered), anything else is transient. Bugs pass through untouched.
 * Messages name the broker's error type (or the library's own message: connection, timeout), never
 * the records or the broker's free-text detail.
 */
export function translatePlatformaticError(error: unknown, topic: string): Error {
  if (isProgrammingError(error)) return error as Error;
  const chain = chainOf(error);
  const rejection = chain.find((e) => e.apiId !== undefined && RECORD_REJECTIONS.has(e.apiId));
  if (rejection !== undefined) {
    return new ProduceRejectedError(`broker rejected records for "${topic}": ${rejection.apiId}`, {
      cause: error,
    });
  }
  const deepest = chain.filter((e) => typeof e.apiId === "string" || typeof e.code === "string").slice(-1)[0];
  const detail = deepest?.apiId ?? deepest?.message ?? chain[0]?.message ?? String(error);
  return new TransientError(`producing to "${topic}" failed: ${detail}`, { cause: error });
}
