import { describe, expect, it } from "vitest";
import type { InvocationReport } from "../../../../emulator/functionInvoker";
import { reportLine, runtimeExitMessage, timeoutLine } from "../../../../emulator/sandbox/lambdaLogLines";

const report: InvocationReport = {
  requestId: "8f5c",
  durationMs: 395.994,
  billedDurationMs: 662,
  memorySizeMb: 512,
  maxMemoryUsedMb: 301,
  initDurationMs: 265.72,
  status: "success",
  errorType: undefined,
  injectedKill: false,
};

describe("reportLine", () => {
  it("is Lambda's REPORT line, Init Duration on a cold start only", () => {
    expect(reportLine(report)).toBe(
      "REPORT RequestId: 8f5c\tDuration: 395.99 ms\tBilled Duration: 662 ms\tMemory Size: 512 MB\tMax Memory Used: 301 MB\tInit Duration: 265.72 ms",
    );
    expect(reportLine({ ...report, initDurationMs: undefined })).not.toContain("Init Duration");
  });

  it("ends a failed invocation's line with its status", () => {
    expect(reportLine({ ...report, status: "timeout" })).toMatch(/\tStatus: timeout$/);
    expect(reportLine({ ...report, status: "error", errorType: "Runtime.OutOfMemory" })).toMatch(
      /\tStatus: error\tError Type: Runtime\.OutOfMemory$/,
    );
  });
});

describe("runtime messages", () => {
  it.each([
    [1, null, "Runtime exited with error: exit status 1"],
    [0, null, "Runtime exited without providing a reason"],
    [null, "SIGKILL", "Runtime exited with error: signal: killed"],
    [null, "SIGABRT", "Runtime exited with error: signal: aborted"],
  ] as const)("exit code %s, signal %s: %s", (code, signal, message) => {
    expect(runtimeExitMessage(code, signal)).toBe(message);
  });

  it("words a timeout as Lambda does", () => {
    expect(timeoutLine("8f5c", 3_000, new Date("2026-12-01T10:00:00.000Z"))).toBe(
      "2026-12-01T10:00:00.000Z 8f5c Task timed out after 3.00 seconds",
    );
  });
});
