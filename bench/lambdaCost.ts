/**
 * Estimated Lambda cost of a batch from its CPU time, for choosing the memory size (issue 11).
 *
 * Lambda gives a function CPU in proportion to its memory: at 1,769 MB the equivalent of one vCPU
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html). The processor runs on
 * one thread, so below 1,769 MB a CPU-bound batch takes its CPU time × 1,769 / memory, and no
 * longer above it. Billed: duration × memory in GB at the x86 price per GB-second, plus the price
 * per request, US East (N. Virginia), first pricing tier (https://aws.amazon.com/lambda/pricing/;
 * also https://docs.aws.amazon.com/whitepapers/latest/how-aws-pricing-works/lambda.html).
 *
 * An estimate: the CPU time is this machine's (taken as one Lambda vCPU); the time spent waiting on
 * the broker, S3 and DynamoDB depends on the network, so it is added only where the caller passes
 * one (the benchmark shows both: without, and with the wait it saw against the local stack).
 */

/**
 * The construct's default memory size (`DEFAULTS.memorySize` in `infra/constructs/defaults.ts`,
 * which imports aws-cdk-lib, so the benchmarks' bundles cannot): the size they run functions at.
 */
export const CONSTRUCT_MEMORY_MB = 512;

/** The memory sizes the README's table compares. */
export const LAMBDA_MEMORY_SIZES = [512, 1_024, 1_769] as const;

export const LAMBDA_PRICES = {
  /** USD per GB-second, x86, first 6 billion GB-seconds a month. */
  x86PerGbSecond: 0.0000166667,
  /** USD per request ($0.20 per million). */
  perRequest: 0.0000002,
  /** Memory at which a function has one vCPU. */
  oneVcpuMemoryMb: 1_769,
} as const;

export interface BatchCostInput {
  readonly memorySizeMb: number;
  /** CPU time of one batch, in ms of one core. */
  readonly cpuMs: number;
  readonly records: number;
  /** Time spent waiting on I/O, which a larger memory size does not shorten. @default 0 */
  readonly waitMs?: number;
}

/** The batch's estimated billed duration and the cost of a million records in such batches. */
export function costPerMillionRecords(input: BatchCostInput): { durationMs: number; dollars: number } {
  const { memorySizeMb, cpuMs, records } = input;
  const durationMs = cpuMs * Math.max(1, LAMBDA_PRICES.oneVcpuMemoryMb / memorySizeMb) + (input.waitMs ?? 0);
  const perBatch =
    (durationMs / 1000) * (memorySizeMb / 1024) * LAMBDA_PRICES.x86PerGbSecond + LAMBDA_PRICES.perRequest;
  return { durationMs, dollars: (perBatch * 1_000_000) / records };
}
