/**
 * Benchmark 1 of the processor: the real decode / validate / transform / classify / response code
 * on a batch near the 6 MB payload limit, with the sinks replaced by in-memory collectors that keep
 * every message (as a producer does until it is acknowledged), against a bare loop doing only
 * base64 decode + JSON.parse + the same schema check + the same transform + JSON.stringify of the
 * output.
 *
 * A third variant, the copy floor (`copyFloor.ts`), is the bare loop plus the key and headers every
 * copied record must carry: `floor / bare loop` is about the most `processing` can reach, and
 * `pipeline / floor` is what our own machinery costs on top of it.
 *
 * The variants run from one minified esbuild bundle, each in its own child process (see
 * `bundled.ts`); the set is run three times, alternating, and the best of each kept, because the
 * machines are shared and a neighbour's burst should not decide the ratio.
 * Run alone: `npx tsx bench/processing.bench.ts`.
 */
import { fileURLToPath } from "node:url";
import { KafkaBatchProcessor } from "../functions/lib/core/KafkaBatchProcessor";
import { definePipeline } from "../functions/lib/core/pipeline";
import { employeeRecords } from "../functions/processor/pipelines";
import { MemoryArchive, MemoryMessageSink } from "../test/doubles/memorySinks";
import type { Benchmark } from "./benchmark";
import { bundleBenchmark, flagValue, printResult, runBundled } from "./bundled";
import { median } from "./bundleRuns";
import { copyFloor } from "./copyFloor";
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

const VARIANTS = ["baseline", "floor", "pipeline"] as const;
type Variant = (typeof VARIANTS)[number];

async function runVariant(variant: Variant): Promise<VariantResult> {
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

  const floorOnce = () => {
    check = copyFloor(workload.event, schema, transform).length;
  };

  const once = { baseline: baselineOnce, floor: floorOnce, pipeline: pipelineOnce }[variant];
  const { medianMs } = await measureCpu(ITERATIONS, WARMUPS, once);
  return {
    variant,
    records: workload.recordCount,
    medianMs,
    recordsPerSecond: perSecond(workload.recordCount, medianMs),
    peakRssMiB: peakRssMiB(),
    check,
  };
}

/** Runs the variants in child processes and reports records/s, the ratios and peak RSS. */
export const benchmark: Benchmark = async (context) => {
  const workload = buildWorkload();
  const bundle = await bundleBenchmark(import.meta.url, "processing");
  const runs: Record<Variant, VariantResult[]> = { baseline: [], floor: [], pipeline: [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const variant of VARIANTS) {
      runs[variant].push(await runBundled<VariantResult>(bundle, ["--variant", variant]));
    }
    context.log(
      `round ${round + 1} of ${ROUNDS}: ` +
        VARIANTS.map((v) => `${v} ${runs[v][round]?.recordsPerSecond}`).join(", ") +
        " records/s",
    );
  }
  const best = (variant: Variant) =>
    runs[variant].reduce((a, b) => (b.recordsPerSecond > a.recordsPerSecond ? b : a));
  const baseline = best("baseline");
  const floor = best("floor");
  const pipeline = best("pipeline");
  if (new Set([baseline.check, floor.check, pipeline.check]).size !== 1) {
    throw new Error(
      `variants disagree: baseline produced ${baseline.check}, floor ${floor.check}, pipeline ${pipeline.check}`,
    );
  }
  // A round runs the variants back to back: medians of the rounds' ratios, paired comparisons.
  const roundRatios = (of: Variant, to: Variant) =>
    runs[of].map((r, i) => r.recordsPerSecond / (runs[to][i] as VariantResult).recordsPerSecond);
  const list = (values: number[]) => values.map((r) => r.toFixed(2)).join(", ");
  const vsBaseline = roundRatios("pipeline", "baseline");
  const floorVsBaseline = roundRatios("floor", "baseline");
  const vsFloor = roundRatios("pipeline", "floor");
  const ratio = median(vsBaseline);
  return {
    lines: [
      `${workload.recordCount} records, ${(workload.payloadBytes / 1024 / 1024).toFixed(2)} MB payload, ${workload.invalidCount} invalid; best of ${ROUNDS} processes, each the median of ${ITERATIONS} runs`,
      `baseline (base64 + JSON.parse + schema + transform + JSON.stringify): ${formatRate(baseline.recordsPerSecond)}, peak RSS ${baseline.peakRssMiB} MiB`,
      `floor (the baseline + each record's key and headers as bytes):      ${formatRate(floor.recordsPerSecond)}, peak RSS ${floor.peakRssMiB} MiB`,
      `pipeline (KafkaBatchProcessor, in-memory sinks):                     ${formatRate(pipeline.recordsPerSecond)}, peak RSS ${pipeline.peakRssMiB} MiB`,
      `ratio pipeline/baseline: ${ratio.toFixed(2)} (median of the rounds' ${list(vsBaseline)})`,
      `ratio floor/baseline, about the most a copying processor can reach: ${median(floorVsBaseline).toFixed(2)} (${list(floorVsBaseline)})`,
      `ratio pipeline/floor, our own machinery: ${median(vsFloor).toFixed(2)} (${list(vsFloor)})`,
    ],
    ratios: [
      {
        measure: "processing path vs bare loop (records/s, in-memory sinks)",
        ratio,
        goal: { atLeast: GOAL },
        detail:
          `median of ${ROUNDS} rounds' ratios (${list(vsBaseline)}); best of each ` +
          `${formatRate(pipeline.recordsPerSecond)} vs ${formatRate(baseline.recordsPerSecond)}; ` +
          `copy floor vs bare loop ${median(floorVsBaseline).toFixed(2)}, pipeline vs floor ${median(vsFloor).toFixed(2)}; ` +
          `${workload.recordCount} records, CPU time, medians of ${ITERATIONS} per process; ` +
          `peak RSS ${pipeline.peakRssMiB} vs ${baseline.peakRssMiB} MiB`,
      },
    ],
  };
};

const variant = flagValue("variant");
if (variant !== undefined) {
  const known = VARIANTS.find((v) => v === variant);
  if (known === undefined) throw new Error(`unknown variant ${variant}; one of ${VARIANTS.join(", ")}`);
  printResult(await runVariant(known));
} else if (process.env.BENCH_BUNDLED !== "1" && process.argv[1] === fileURLToPath(import.meta.url)) {
  const report = await benchmark({ log: (line) => console.log(line), scale: 1 });
  for (const line of report.lines) console.log(line);
}
