import { describe, expect, it } from "vitest";
import type { InvocationReport } from "../../../emulator/functionInvoker";
import { percentile, RuntimeReports } from "../../../emulator/RuntimeReports";

function report(durationMs: number, extra: Partial<InvocationReport> = {}): InvocationReport {
  return {
    requestId: "r",
    durationMs,
    billedDurationMs: Math.ceil(durationMs),
    memorySizeMb: 512,
    maxMemoryUsedMb: 100,
    initDurationMs: undefined,
    status: "success",
    errorType: undefined,
    injectedKill: false,
    ...extra,
  };
}

describe("RuntimeReports", () => {
  it("adds up cold starts, timeouts, out-of-memory kills, peak memory and duration percentiles", () => {
    const reports = new RuntimeReports();
    reports.add(report(10, { initDurationMs: 250 }));
    for (let i = 1; i <= 98; i += 1) reports.add(report(20));
    reports.add(report(3_000, { status: "timeout" }));
    reports.add(
      report(50, {
        status: "error",
        errorType: "Runtime.OutOfMemory",
        maxMemoryUsedMb: 513,
        initDurationMs: 300,
      }),
    );
    reports.add(report(5, { status: "error", errorType: "Runtime.ExitError", injectedKill: true }));

    expect(reports.summary()).toEqual({
      coldStarts: 2,
      timeouts: 1,
      outOfMemory: 1,
      runtimeExits: 2,
      injectedKills: 1,
      maxMemoryUsedMb: 513,
      maxInitDurationMs: 300,
      durationP50Ms: 20,
      durationP99Ms: 50,
    });
  });

  it("uses nearest-rank percentiles", () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(percentile([], 0.99)).toBe(0);
  });
});
