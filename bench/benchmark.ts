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
}

export type Benchmark = (context: BenchContext) => Promise<BenchReport>;
