import type { RuntimeStats } from "./emulatorStats";
import type { InvocationReport } from "./functionInvoker";

const OUT_OF_MEMORY = "Runtime.OutOfMemory";
const RUNTIME_EXIT = /^Runtime\.(ExitError|OutOfMemory)$/;

/**
 * Adds up the REPORT lines of a run: what a CloudWatch Logs Insights query over the function's log
 * group would say (cold starts, timeouts, out-of-memory kills, peak memory, duration percentiles).
 */
export class RuntimeReports {
  private readonly durations: number[] = [];
  private coldStarts = 0;
  private timeouts = 0;
  private outOfMemory = 0;
  private runtimeExits = 0;
  private injectedKills = 0;
  private maxMemoryUsedMb = 0;
  private maxInitDurationMs = 0;

  add(report: InvocationReport): void {
    this.durations.push(report.durationMs);
    if (report.initDurationMs !== undefined) {
      this.coldStarts += 1;
      this.maxInitDurationMs = Math.max(this.maxInitDurationMs, report.initDurationMs);
    }
    if (report.status === "timeout") this.timeouts += 1;
    if (report.errorType === OUT_OF_MEMORY) this.outOfMemory += 1;
    if (report.errorType !== undefined && RUNTIME_EXIT.test(report.errorType)) this.runtimeExits += 1;
    if (report.injectedKill) this.injectedKills += 1;
    this.maxMemoryUsedMb = Math.max(this.maxMemoryUsedMb, report.maxMemoryUsedMb ?? 0);
  }

  summary(): RuntimeStats {
    const sorted = [...this.durations].sort((a, b) => a - b);
    return {
      coldStarts: this.coldStarts,
      timeouts: this.timeouts,
      outOfMemory: this.outOfMemory,
      runtimeExits: this.runtimeExits,
      injectedKills: this.injectedKills,
      maxMemoryUsedMb: this.maxMemoryUsedMb,
      maxInitDurationMs: round2(this.maxInitDurationMs),
      durationP50Ms: round2(percentile(sorted, 0.5)),
      durationP99Ms: round2(percentile(sorted, 0.99)),
    };
  }
}

/** Nearest-rank percentile of sorted values; 0 for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[rank - 1] as number;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
