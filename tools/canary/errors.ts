/** The command line or the deployment it names is wrong: unknown flag, missing output. Exit code 2. */
export class CanaryUsageError extends Error {
  override readonly name: string = "CanaryUsageError";
}

/** What the canary needs is not there (a topic, the local stack's bucket): the checks cannot run. Exit code 1. */
export class CanarySetupError extends Error {
  override readonly name: string = "CanarySetupError";
}

/** What `canary` exits with. */
export const CANARY_EXIT_CODES = {
  /** Every check passed. */
  pass: 0,
  /** A check failed, or the run could not complete (a service unreachable, a topic missing). */
  fail: 1,
  /** Bad input: unknown or conflicting flags, a stack without canary outputs. */
  badInput: 2,
} as const;
export type CanaryExitCode = (typeof CANARY_EXIT_CODES)[keyof typeof CANARY_EXIT_CODES];
