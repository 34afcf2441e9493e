import { isRetriable, TransientError } from "./errors";

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
  constructor(
    readonly lastError: unknown,
    readonly attempts: number,
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
  for (;;) {
    attempts += 1;
    try {
      return { value: await withDeadline(operation(), env), attempts };
    } catch (error) {
      if (!isRetriable(error)) throw new RetryGiveUp(error, attempts);
      const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempts - 1));
      const delay = Math.round(env.random() * ceiling);
      // At least 1 ms ahead: the next attempt must have time to run, and the error kept is the one
      // that explains the failure, not the deadline that ended the retries.
      if (env.now() + delay + 1 >= env.deadline) throw new RetryGiveUp(error, attempts);
      await env.sleep(delay);
    }
  }
}

async function withDeadline<T>(promise: Promise<T>, env: RetryEnvironment): Promise<T> {
  const remaining = env.deadline - env.now();
  if (remaining <= 0) {
    promise.catch(() => undefined);
    throw new TransientError("no time left in the invocation for another attempt");
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new TransientError(`attempt still running after ${remaining} ms, at the invocation deadline`)),
      remaining,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
    // The abandoned attempt may still fail later; that must not become an unhandled rejection.
    promise.catch(() => undefined);
  }
}
