/**
 * The lines Lambda writes around a function's own output in its log stream
 * (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-logging.html): `START`, `END` and `REPORT`
 * per invocation, tab-separated as in the text log format. Pure.
 */
import type { InvocationReport } from "../functionInvoker";

export function startLine(requestId: string): string {
  return `START RequestId: ${requestId} Version: $LATEST`;
}

export function endLine(requestId: string): string {
  return `END RequestId: ${requestId}`;
}

/**
 * `REPORT RequestId: ... Duration: 12.34 ms Billed Duration: 13 ms Memory Size: 512 MB Max Memory
 * Used: 87 MB Init Duration: 180.12 ms`, Init Duration on a cold start only. A failed invocation ends
 * with `Status: timeout` or `Status: error Error Type: ...`, as current Lambda REPORT lines do
 * (observed in Lambda's logs; not on the documentation page).
 */
export function reportLine(report: InvocationReport): string {
  const fields = [
    `REPORT RequestId: ${report.requestId}`,
    `Duration: ${report.durationMs.toFixed(2)} ms`,
    `Billed Duration: ${report.billedDurationMs} ms`,
    `Memory Size: ${report.memorySizeMb} MB`,
    `Max Memory Used: ${report.maxMemoryUsedMb ?? 0} MB`,
  ];
  if (report.initDurationMs !== undefined)
    fields.push(`Init Duration: ${report.initDurationMs.toFixed(2)} ms`);
  if (report.status === "timeout") fields.push("Status: timeout");
  if (
    report.status === "error" &&
    report.errorType !== undefined &&
    report.errorType.startsWith("Runtime.")
  ) {
    fields.push("Status: error", `Error Type: ${report.errorType}`);
  }
  return fields.join("\t");
}

/** Written when the sandbox is killed at the timeout: `<ISO time> <request id> Task timed out after 3.00 seconds`. */
export function timeoutLine(requestId: string, timeoutMs: number, at = new Date()): string {
  return `${at.toISOString()} ${requestId} Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`;
}

/** Written when the runtime process went away: `RequestId: ... Error: Runtime exited with error: signal: killed`. */
export function runtimeExitLines(requestId: string, message: string, errorType: string): string[] {
  return [`RequestId: ${requestId} Error: ${message}`, errorType];
}

/**
 * How Lambda words a runtime process's end (its platform is written in Go, so signals carry Go's
 * names): `exit status 1`, `signal: killed`; an exit with status 0 gives no reason.
 */
export function runtimeExitMessage(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal !== null) return `Runtime exited with error: signal: ${SIGNAL_NAMES[signal] ?? signal}`;
  if (code === 0 || code === null) return "Runtime exited without providing a reason";
  return `Runtime exited with error: exit status ${code}`;
}

const SIGNAL_NAMES: Partial<Record<NodeJS.Signals, string>> = {
  SIGKILL: "killed",
  SIGABRT: "aborted",
  SIGSEGV: "segmentation fault",
  SIGTERM: "terminated",
  SIGBUS: "bus error",
  SIGILL: "illegal instruction",
  SIGFPE: "floating point exception",
};
