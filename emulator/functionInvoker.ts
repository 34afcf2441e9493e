/**
 * How the mapping calls the function: in the emulator's own process, or in a sandbox process of
 * its own as Lambda runs it. Both hand back the outcome the mapping's rules judge and the figures
 * of the REPORT line Lambda writes for every invocation.
 */
import type { InvocationOutcome } from "./types";

export interface InvocationRequest {
  readonly requestId: string;
  /** The invocation event as the JSON text Lambda sends. */
  readonly eventJson: string;
  /** Records in the event (for fault hooks and logs). */
  readonly records: number;
}

export const INVOCATION_STATUSES = {
  success: "success",
  error: "error",
  timeout: "timeout",
} as const;
export type InvocationStatus = (typeof INVOCATION_STATUSES)[keyof typeof INVOCATION_STATUSES];

/** The figures of Lambda's `REPORT RequestId: ...` line for one invocation. */
export interface InvocationReport {
  readonly requestId: string;
  readonly durationMs: number;
  readonly billedDurationMs: number;
  readonly memorySizeMb: number;
  /** Peak resident memory of the sandbox so far, in MB; undefined in process. */
  readonly maxMemoryUsedMb: number | undefined;
  /** Set on a cold start only: how long the sandbox's INIT took. */
  readonly initDurationMs: number | undefined;
  readonly status: InvocationStatus;
  /** `Runtime.ExitError`, `Runtime.OutOfMemory`, or the thrown error's type. */
  readonly errorType: string | undefined;
  /** The sandbox was SIGKILLed by a fault hook during this invocation. */
  readonly injectedKill: boolean;
}

export interface InvocationResult {
  readonly outcome: InvocationOutcome;
  readonly report: InvocationReport;
}

export interface FunctionInvoker {
  invoke(request: InvocationRequest): Promise<InvocationResult>;
  /** Ends every sandbox (nothing to do in process). */
  close(): Promise<void>;
}

/** Lambda bills the invocation and, since August 2025, the INIT of a cold start, each rounded up to 1 ms. */
export function billedDurationMs(durationMs: number, initDurationMs: number | undefined): number {
  return Math.ceil(durationMs + (initDurationMs ?? 0));
}
