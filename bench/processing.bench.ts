/**
 * Benchmark 1 of the processor: the real decode / validate / transform / classify / response code
 * on a batch near the 6 MB payload limit, with the sinks replaced by in-memory collectors that keep
 * every message (as a producer does until it is acknowledged), against a bare loop doing only
 * base64 decode + JSON.parse + the same schema check + the same transform + JSON.stringify of the
 * output.
 *
 * Both variants run from one minified esbuild bundle, each in its own child process (see
 * `bundled.ts`); the pair is run three times, alternating, and the best of each kept, because the
 * machines are shared and a neighbour's burst should not decide the ratio.
 * Run alone: `npx tsx bench/processing.bench.ts`.
 */
import { fileURLToPath } from "node:url";
import { KafkaBatchProcessor } from "../functions/lib/core/KafkaBatchProcessor";
import { definePipeline } from "../functions/lib/core/pipeline";
import { employeeRecords } from "../functions/processor/pipelines";
import { MemoryArchive, MemoryMessageSink } from "../test/doubles/memorySinks";
import type { Benchmark } from "./benchmark";
import { bundleBenchmark, flagValue, runBundled } from "./bundled";
import { formatRate, measureCpu, peakRssMiB, perSecond } from "./measure";
import { buildWorkload, SOURCE_TOPIC } from "./workload";

const ITERATIONS = 15;
const WARMUPS = 5;
const ROUNDS = 3;
const GOAL = 0.9;

interface VariantResult {
  readonly variant: string;
  readonly records: number;
  readonly medianMs: number;
  readonly recordsPerSecond: number;
  readonly peakRssMiB: number;
  readonly check: number;
}

export const benchContext = {
  functionName: "bench",
  functionVersion: "1",
  awsRequestId: "r",
  getRemainingTimeInMillis: () => 60_000,
};

async function runVariant(variant: "pipeline" | "baseline"): Promise<VariantResult> {
  const workload = buildWorkload();
  const { schema, transform } = employeeRecords;
  let check = 0;

  const pipelineOnce = async () => {
    const processor = new KafkaBatchProcessor({
      pipelines: [
        definePipeline({ sourceTopic: SOURCE_TOPIC, targetTopic: "employees.processed", ...employeeRecords }),
      ],
      sink: new MemoryMessageSink(),
      archive: new MemoryArchive(),
    });
    const { stats } = await processor.process(workload.event, benchContext);
    check = stats.produced;
  };

  const baselineOnce = () => {
    let produced = 0;
    const outputs: string[] = [];
    for (const records of Object.values(workload.event.records)) {
      for (const record of records) {
        const value = JSON.parse(Buffer.from(record.value ?? "", "base64").toString("utf8"));
        const result = schema.safeParse(value);
        if (!result.success) continue;
        // Kept until the end, as a producer keeps a batch until it is acknowledged.
        outputs.push(JSON.stringify(transform(result.data)));
        produced += 1;
      }
    }
    check = produced;
  };

  const { medianMs } = await measureCpu(
    ITERATIONS,
    WARMUPS,
    variant === "pipeline" ? pipelineOnce : baselineOnce,
  );
  return {
    variant,
    records: workload.recordCount,
    medianMs,
    recordsPerSecond: perSecond(workload.recordCount, medianMs),
    peakRssMiB: peakRssMiB(),
    check,
  };
}

/** Runs both variants in child processes and reports records/s, the ratio and peak RSS. */
export const benchmark: Benchmark = async (context) => {
  const workload = buildWorkload();
  const bundle = await bundleBenchmark(import.meta.url, "processing");
  const run = (variant: string) => runBundled<VariantResult>(bundle, ["--variant", variant]);
  const best = (results: VariantResult[]) =>
    results.reduce((a, b) => (b.recordsPerSecond > a.recordsPerSecond ? b : a));
  const baselines: VariantResult[] = [];
  const pipelines: VariantResult[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    baselines.push(run("baseline"));
    pipelines.push(run("pipeline"));
    context.log(
      `round ${round + 1} of ${ROUNDS}: baseline ${baselines[round]?.recordsPerSecond}, pipeline ${pipelines[round]?.recordsPerSecond} records/s`,
    );
  }
  const baseline = best(baselines);
  const pipeline = best(pipelines);
  if (baseline.check !== pipeline.check) {
    throw new Error(`variants disagree: baseline produced ${baseline.check}, pipeline ${pipeline.check}`);
  }
  // A round runs both sides back to back: the median of the rounds' ratios, a paired comparison.
  const roundRatios = pipelines.map(
    (p, i) => p.recordsPerSecond / (baselines[i] as VariantResult).recordsPerSecond,
  );
  const ratio = [...roundRatios].sort((a, b) => a - b)[Math.floor(roundRatios.length / 2)] ?? Number.NaN;
  return {
    lines: [
      `${workload.recordCount} records, ${(workload.payloadBytes / 1024 / 1024).toFixed(2)} MB payload, ${workload.invalidCount} invalid; best of ${ROUNDS} processes, each the median of ${ITERATIONS} runs`,
      `baseline (base64 + JSON.parse + schema + transform + JSON.stringify): ${formatRate(baseline.recordsPerSecond)}, peak RSS ${baseline.peakRssMiB} MiB`,
      `pipeline (KafkaBatchProcessor, in-memory sinks):     ${formatRate(pipeline.recordsPerSecond)}, peak RSS ${pipeline.peakRssMiB} MiB`,
      `ratio pipeline/baseline: ${ratio.toFixed(2)} (median of the rounds' ${roundRatios.map((r) => r.toFixed(2)).join(", ")})`,
    ],
    ratios: [
      {
        measure: "processing path vs bare loop (records/s, in-memory sinks)",
        ratio,
        goal: { atLeast: GOAL },
        detail:
          `median of ${ROUNDS} rounds' ratios (${roundRatios.map((r) => r.toFixed(2)).join(", ")}); best of each ` +
          `${formatRate(pipeline.recordsPerSecond)} vs ${formatRate(baseline.recordsPerSecond)}; ` +
          `${workload.recordCount} records, CPU time, medians of ${ITERATIONS} per process; ` +
          `peak RSS ${pipeline.peakRssMiB} vs ${baseline.peakRssMiB} MiB`,
      },
    ],
  };
};

const variant = flagValue("variant");
if (variant !== undefined) {
  console.log(JSON.stringify(await runVariant(variant === "pipeline" ? "pipeline" : "baseline")));
} else if (process.env.BENCH_BUNDLED !== "1" && process.argv[1] === fileURLToPath(import.meta.url)) {
  const report = await benchmark({ log: (line) => console.log(line), scale: 1 });
  for (const line of report.lines) console.log(line);
}
