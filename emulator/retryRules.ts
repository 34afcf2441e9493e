/**
 * What the mapping does after a failed invocation (../shared/KAFKA-LAMBDA-FACTS.md section 2):
 * retry, bisect, or give up; and which records are too old to send. Pure: no I/O, no clock.
 */

export interface RetryRuleOptions {
  /** -1 is infinite. */
  readonly retryAttempts: number;
  readonly bisectBatchOnError: boolean;
}

export type RetryDecision<T> =
  | { readonly kind: "retry"; readonly batches: readonly (readonly T[])[] }
  | { readonly kind: "give-up" };

/**
 * After the batch's `failedAttempts`-th failed invocation: give up once the failures exceed the
 * retry attempts (the first invocation is not a retry), otherwise retry it whole, or as two halves
 * in order when bisect is on. Splitting is not an attempt itself: each half keeps the count.
 *
 * @example
 * decideRetry(records, 1, { retryAttempts: 2, bisectBatchOnError: true });
 * // { kind: "retry", batches: [firstHalf, secondHalf] }
 */
export function decideRetry<T>(
  records: readonly T[],
  failedAttempts: number,
  options: RetryRuleOptions,
): RetryDecision<T> {
  if (options.retryAttempts >= 0 && failedAttempts > options.retryAttempts) return { kind: "give-up" };
  if (options.bisectBatchOnError && records.length > 1) {
    const middle = Math.ceil(records.length / 2);
    return { kind: "retry", batches: [records.slice(0, middle), records.slice(middle)] };
  }
  return { kind: "retry", batches: [records] };
}

/**
 * Splits records into those still young enough to send and those older than the maximum record age
 * (measured from the record's timestamp); with -1 nothing expires.
 */
export function splitByAge<T extends { readonly timestamp: number }>(
  records: readonly T[],
  nowMs: number,
  maxRecordAgeS: number,
): { fresh: T[]; expired: T[] } {
  if (maxRecordAgeS < 0) return { fresh: [...records], expired: [] };
  const oldest = nowMs - maxRecordAgeS * 1000;
  const fresh: T[] = [];
  const expired: T[] = [];
  for (const record of records) (record.timestamp < oldest ? expired : fresh).push(record);
  return { fresh, expired };
}

/** Delay before retrying a failed batch: exponential from `baseMs`, capped at 5 s. */
export function retryDelayMs(failedAttempts: number, baseMs: number): number {
  if (baseMs <= 0) return 0;
  return Math.min(5_000, baseMs * 2 ** Math.max(0, failedAttempts - 1));
}
