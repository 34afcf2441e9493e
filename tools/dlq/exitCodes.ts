/** What `dlq` exits with, so scripts can tell a typo from an outage. */
export const EXIT_CODES = {
  ok: 0,
  /** Something operational failed: a service unreachable, records that could not be replayed. */
  failure: 1,
  /** Bad input: unknown command or flag, malformed time, unknown topic, missing id. */
  badInput: 2,
  /** Stopped by Ctrl-C; the run can be resumed. */
  interrupted: 130,
} as const;
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];
