/**
 * Messages between the emulator and a sandbox process over the IPC channel (Node's "advanced"
 * serialization: a 6 MB event string is copied, not escaped again). Types only: the sandbox side
 * (`runtimeBootstrap.ts`) runs under Node's own type stripping and imports nothing else of ours.
 */

/** Faults the emulator asks the runtime to inject into one invocation (see `SandboxFaults`). */
export interface InjectedFaults {
  /** Hold the handler's response this long after it returned (its writes are done). */
  readonly holdResponseMs?: number;
  /** Allocate this many MiB while the handler runs, released when it ends. */
  readonly memorySpikeMb?: number;
}

export interface InvokeMessage {
  readonly type: "invoke";
  readonly requestId: string;
  readonly eventJson: string;
  /** Epoch ms at which the invocation times out: `context.getRemainingTimeInMillis()` counts to it. */
  readonly deadlineMs: number;
  readonly faults: InjectedFaults;
}

/** An error as Lambda's Node runtime reports it (`errorType`, `errorMessage`, `trace`). */
export interface ReportedError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace: readonly string[];
}

export type SandboxMessage =
  | { readonly type: "ready" }
  | ({ readonly type: "init-error" } & ReportedError)
  | {
      readonly type: "response";
      readonly requestId: string;
      /** The handler's return value as JSON (`null` for undefined). */
      readonly responseJson: string;
      /** `process.resourceUsage().maxRSS`: the sandbox's peak resident memory so far, in KiB. */
      readonly maxRssKb: number;
    }
  | ({
      readonly type: "error";
      readonly requestId: string;
      readonly maxRssKb: number;
      /** Uncaught exception or unhandled rejection: the runtime exits right after reporting it. */
      readonly fatal: boolean;
    } & ReportedError);

/** Environment variables the emulator passes to the bootstrap only (removed before the handler loads). */
export const SANDBOX_ENV = {
  /** A line the bootstrap writes to stdout and stderr once an invocation's output is complete. */
  endMarker: "LAMBDA_EMULATOR_END_MARKER",
  functionArn: "LAMBDA_EMULATOR_FUNCTION_ARN",
  /** `context.functionName`; not `AWS_LAMBDA_FUNCTION_NAME`, which the pipeline reads as "in AWS". */
  functionName: "LAMBDA_EMULATOR_FUNCTION_NAME",
} as const;
