/** Small timing helpers shared by the benchmarks: warm up, repeat, keep the median. */
export interface Measurement {
  readonly medianMs: number;
  readonly runs: number;
}

/** Starts a clock; the function it returns reads the milliseconds since. */
type Clock = () => () => number;

const wallClock: Clock = () => {
  const started = process.hrtime.bigint();
  return () => Number(process.hrtime.bigint() - started) / 1e6;
};

const cpuClock: Clock = () => {
  const started = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(started);
    return (used.user + used.system) / 1000;
  };
};

async function repeat(
  clock: Clock,
  iterations: number,
  warmups: number,
  once: () => Promise<void> | void,
): Promise<Measurement> {
  for (let i = 0; i < warmups; i += 1) await once();
  const times: number[] = [];
  for (let i = 0; i < iterations; i += 1) {
    const elapsed = clock();
    await once();
    times.push(elapsed());
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)] ?? Number.NaN, runs: iterations };
}

/** The median wall time of `iterations` runs after `warmups`. */
export function measure(
  iterations: number,
  warmups: number,
  once: () => Promise<void> | void,
): Promise<Measurement> {
  return repeat(wallClock, iterations, warmups, once);
}

export function perSecond(records: number, ms: number): number {
  return Math.round((records * 1000) / ms);
}

export function peakRssMiB(): number {
  // resourceUsage().maxRSS is in KiB on Linux.
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

export function formatRate(recordsPerSecond: number): string {
  return `${recordsPerSecond.toLocaleString("en-US")} records/s`;
}

/**
 * Like {@link measure}, in CPU time of the process (user + system, every thread: GC included)
 * instead of wall time: on a machine shared with other sessions, time spent waiting for a core is
 * not the code's, and CPU time is what Lambda bills at a fraction of a vCPU.
 */
export function measureCpu(
  iterations: number,
  warmups: number,
  once: () => Promise<void> | void,
): Promise<Measurement> {
  return repeat(cpuClock, iterations, warmups, once);
}
