import { DeadlineReachedError } from "../errors";
import { type RetryEnvironment, withDeadline } from "../retry";
import type { InvocationInfo } from "../types";

/** What one invocation's partitions share: who handles them, the cluster, the deadline, the counts. */
export interface InvocationRun {
  readonly invocation: InvocationInfo;
  /** `clusterIdentity` of the batch: part of every record id. */
  readonly cluster: string;
  readonly retryEnv: RetryEnvironment;
  /** Shared by reference, so a copy of the run with another deadline still counts here. */
  readonly counters: RunCounters;
}

export interface RunCounters {
  /** Records whose dead-letter write (archive, DLQ topic or index) failed; reported for retry. */
  deadLetterWriteFailures: number;
  /** Dead letters kept in the archive and the index only, because the DLQ topic refused them. */
  dlqCopiesAbsent: number;
}

/** The same run with `extraMs` more time: for the final bookkeeping the safety margin exists for. */
export function withExtraTime(run: InvocationRun, extraMs: number): InvocationRun {
  return { ...run, retryEnv: { ...run.retryEnv, deadline: run.retryEnv.deadline + extraMs } };
}

/**
 * Waits for `promise` no longer than the run's deadline: a hung dependency (DynamoDB, an async
 * transform) becomes a retry report in time, never a Lambda timeout that redelivers the batch.
 */
export function beforeDeadline<T>(run: InvocationRun, start: () => Promise<T>): Promise<T> {
  const remaining = run.retryEnv.deadline - run.retryEnv.now();
  if (remaining <= 0) return Promise.reject(new DeadlineReachedError());
  return withDeadline(start(), remaining);
}
