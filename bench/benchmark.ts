/**
 * The contract of a benchmark module: `bench/<name>.bench.ts` exports `benchmark` (or a
 * `run<Name>Benchmark` function returning its report lines), and `npm run bench` runs every such
 * module in name order (or those named on the command line).
 */

export interface BenchContext {
  /** Progress lines; the runner prefixes them with the benchmark's name. */
  readonly log: (line: string) => void;
  /** Scales record counts: `BENCH_SCALE=0.2 npm run bench` for a quick look. */
  readonly scale: number;
}

export interface BenchReport {
  /** Lines of the result, printed together at the end. */
  readonly lines: readonly string[];
  /**
   * A goal met or missed. Timings on shared machines are noisy, so goals are ratios against a
   * baseline measured in the same run, never absolute numbers.
   */
  readonly goal?: { readonly description: string; readonly met: boolean };
  /** Ratios against baselines measured in the same run, each with its goal (issue 11's table). */
  readonly ratios?: readonly BenchRatio[];
}

/**
 * One row of `npm run bench`'s table and of its JSON report: ours against a baseline measured in
 * the same run. The ratio is oriented so the goal reads the way the issue states it (throughput
 * ratios `atLeast`, time and memory ratios `atMost`).
 */
export interface BenchRatio {
  /** What is compared, e.g. "processing path vs bare loop (records/s)". */
  readonly measure: string;
  readonly ratio: number;
  readonly goal: { readonly atLeast: number } | { readonly atMost: number };
  /** The raw numbers behind the ratio with their units, e.g. "183 ms vs 177 ms (medians of 10)". */
  readonly detail: string;
}

export type Benchmark = (context: BenchContext) => Promise<BenchReport>;
