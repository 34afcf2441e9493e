import { DeadlineReachedError, isRetriable } from "./errors";

export interface RetryPolicy {
  /** First backoff delay; each retry doubles it up to `maxDelayMs`. */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { initialDelayMs: 100, maxDelayMs: 2_000 };

export interface RetryEnvironment {
  /** Epoch milliseconds after which no attempt starts and no running attempt is waited for. */
  readonly deadline: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
}

export interface RetryResult<T> {
  readonly value: T;
  readonly attempts: number;
}

/** Carries how many attempts were made before giving up, for dead-letter envelopes and logs. */
export class RetryGiveUp extends Error {
  override readonly name = "RetryGiveUp";

  constructor(
    readonly lastError: unknown,
    /** Attempts started; 0 when the deadline had passed before the first one. */
    readonly attempts: number,
    /**
     * Attempts that failed on their own, not cut off or never started for want of time. A record
     * whose operations only ran out of the invocation's time (earlier records used it) did not fail.
     */
    readonly ownFailures: number,
  ) {
    super("gave up retrying", { cause: lastError });
  }
}

/**
 * Runs `operation` until it succeeds, fails for good, or the invocation runs out of time.
 *
 * Exponential backoff with full jitter (kafkajs's and AWS's habit, so that many containers do not
 * retry in step). Only errors that say they are retriable are retried; bugs and permanent failures
 * give up at once. Each attempt is also cut off at the deadline: a send still running then is
 * abandoned and counted as a transient failure, so the invocation can still report in time.
 *
 * @throws {RetryGiveUp} with the last error and the number of attempts.
 */
export async function retryWithBackoff<T>(
  operation: () => Promise<T>,
  policy: RetryPolicy,
  env: RetryEnvironment,
): Promise<RetryResult<T>> {
  let attempts = 0;
  let ownFailures = 0;
  let lastError: unknown;
  for (;;) {
    // Checked before the attempt starts, never after: an attempt begun past the deadline could
    // write a record the invocation then reports for retry.
    const remaining = env.deadline - env.now();
    if (remaining <= 0) {
      throw new RetryGiveUp(lastError ?? new DeadlineReachedError(), attempts, ownFailures);
    }
    attempts += 1;
    try {
      return { value: await withDeadline(operation(), remaining), attempts };
    } catch (error) {
      if (!(error instanceof DeadlineReachedError)) ownFailures += 1;
      if (!isRetriable(error)) throw new RetryGiveUp(error, attempts, ownFailures);
      lastError = error;
      const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempts - 1));
      const delay = Math.round(env.random() * ceiling);
      // At least 1 ms ahead: the next attempt must have time to run, and the error kept is the one
      // that explains the failure, not the deadline that ended the retries.
      if (env.now() + delay + 1 >= env.deadline) throw new RetryGiveUp(error, attempts, ownFailures);
      await env.sleep(delay);
    }
  }
}

/**
 * Bounds one call by the time left: at the deadline the caller stops waiting (the call itself may
 * still finish; an adapter's own request timeout ends it). Used for every external call the
 * processor makes, so a hung dependency becomes a retry report, never a Lambda timeout.
 */
export async function withDeadline<T>(promise: Promise<T>, remainingMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineReachedError(remainingMs)), Math.max(0, remainingMs));
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
    // The abandoned attempt may still fail later; that must not become an unhandled rejection.
    promise.catch(() => undefined);
  }
}
