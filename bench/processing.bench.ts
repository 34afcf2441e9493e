/**
 * Benchmark 1 of the processor: the real decode / validate / transform / classify / response code
 * on a batch near the 6 MB payload limit, with the sinks replaced by in-memory collectors, against
 * a bare loop doing only base64 decode + JSON.parse + the same schema check + the same transform.
 *
 * Both variants run from one esbuild bundle, minified as NodejsFunction deploys it (tsx would add a
 * name-keeping wrapper to every closure and measure an artifact), each in its own child process so
 * each reports its own peak RSS; the pair is run three times, alternating, and the best of each kept,
 * because the machines are shared and a neighbour's burst should not decide the ratio.
 * Run alone: `npx tsx bench/processing.bench.ts`.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { KafkaBatchProcessor } from "../functions/lib/core/KafkaBatchProcessor";
import { definePipeline } from "../functions/lib/core/pipeline";
import { employeeRecords } from "../functions/processor/pipelines";
import { MemoryArchive, MemoryMessageSink } from "../test/doubles/memorySinks";
import type { Benchmark } from "./benchmark";
import { formatRate, measure, peakRssMiB, perSecond } from "./measure";
import { buildWorkload, SOURCE_TOPIC } from "./workload";

const ITERATIONS = 15;
const WARMUPS = 5;

interface VariantResult {
  readonly variant: string;
  readonly records: number;
  readonly medianMs: number;
  readonly recordsPerSecond: number;
  readonly peakRssMiB: number;
  readonly check: number;
}

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
    const context = {
      functionName: "bench",
      functionVersion: "1",
      awsRequestId: "r",
      getRemainingTimeInMillis: () => 60_000,
    };
    const { stats } = await processor.process(workload.event, context);
    check = stats.produced;
  };

  const baselineOnce = () => {
    let produced = 0;
    for (const records of Object.values(workload.event.records)) {
      for (const record of records) {
        const value = JSON.parse(Buffer.from(record.value ?? "", "base64").toString("utf8"));
        const result = schema.safeParse(value);
        if (!result.success) continue;
        transform(result.data);
        produced += 1;
      }
    }
    check = produced;
  };

  const { medianMs } = await measure(
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

const ROUNDS = 3;

/** Runs both variants in child processes and reports records/s, the ratio and peak RSS. */
export const benchmark: Benchmark = async (context) => {
  const workload = buildWorkload();
  const bundle = fileURLToPath(new URL("../.stack/bench/processing.mjs", import.meta.url));
  mkdirSync(fileURLToPath(new URL("../.stack/bench/", import.meta.url)), { recursive: true });
  await build({
    entryPoints: [fileURLToPath(import.meta.url)],
    bundle: true,
    platform: "node",
    format: "esm",
    minify: true,
    outfile: bundle,
    logLevel: "warning",
    external: ["esbuild"],
    define: { "process.env.BENCH_BUNDLED": '"1"' },
  });
  const run = (variant: string) =>
    JSON.parse(
      execFileSync(process.execPath, [bundle, "--variant", variant], { encoding: "utf8" })
        .trim()
        .split("\n")
        .pop() ?? "{}",
    ) as VariantResult;
  const best = (results: VariantResult[]) =>
    results.reduce((a, b) => (b.recordsPerSecond > a.recordsPerSecond ? b : a));
  const baselines: VariantResult[] = [];
  const pipelines: VariantResult[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    context.log(`round ${round + 1} of ${ROUNDS}`);
    baselines.push(run("baseline"));
    pipelines.push(run("pipeline"));
  }
  const baseline = best(baselines);
  const pipeline = best(pipelines);
  if (baseline.check !== pipeline.check) {
    throw new Error(`variants disagree: baseline produced ${baseline.check}, pipeline ${pipeline.check}`);
  }
  const ratio = pipeline.recordsPerSecond / baseline.recordsPerSecond;
  return {
    lines: [
      `${workload.recordCount} records, ${(workload.payloadBytes / 1024 / 1024).toFixed(2)} MB payload, ${workload.invalidCount} invalid; best of ${ROUNDS} processes, each the median of ${ITERATIONS} runs`,
      `baseline (base64 + JSON.parse + schema + transform): ${formatRate(baseline.recordsPerSecond)}, peak RSS ${baseline.peakRssMiB} MiB`,
      `pipeline (KafkaBatchProcessor, in-memory sinks):     ${formatRate(pipeline.recordsPerSecond)}, peak RSS ${pipeline.peakRssMiB} MiB`,
      `ratio pipeline/baseline: ${ratio.toFixed(2)}`,
    ],
    goal: { description: "processing path at least 0.85 of the bare loop", met: ratio >= 0.85 },
  };
};

const variantFlag = process.argv.indexOf("--variant");
if (variantFlag >= 0) {
  const variant = process.argv[variantFlag + 1] === "pipeline" ? "pipeline" : "baseline";
  console.log(JSON.stringify(await runVariant(variant)));
} else if (process.env.BENCH_BUNDLED !== "1" && process.argv[1] === fileURLToPath(import.meta.url)) {
  const report = await benchmark({ log: (line) => console.log(line), scale: 1 });
  for (const line of report.lines) console.log(line);
}
