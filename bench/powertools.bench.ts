/**
 * The processor against the peer a user would pick: Powertools for AWS Lambda's `kafkaConsumer`
 * (`@aws-lambda-powertools/kafka`), with the same zod schema and transform, on the same batch, in
 * the same process, runs alternating.
 *
 * The peer's handler does what a user of it must write to get what the processor does at the
 * least: read each record's validated value (the wrapper's getter: base64, JSON.parse, the schema),
 * catch the records the schema refuses, transform and serialize the others, and keep the outputs
 * (with their keys) for a producer. It has no dead letters, lineage headers, ordering or partial
 * batch response, so the comparison is generous to the peer. Its API, as documented:
 * https://docs.aws.amazon.com/powertools/typescript/latest/api/modules/_aws-lambda-powertools_kafka.html
 * (`kafkaConsumer(handler, { value: { type: SchemaType.JSON, parserSchema } })`; the `value` getter
 * deserializes and parses on each read, and throws when the schema refuses the value).
 *
 * The copy floor (`copyFloor.ts`: the bare loop plus each record's key and headers) runs in the same
 * alternation, so `peer / floor` says about how much faster than the peer a processor that carries
 * keys and headers can be.
 *
 * All run from one minified esbuild bundle in a child process (see `bundled.ts`), three processes,
 * best of each; time is the process's CPU time. Run alone: `npx tsx bench/powertools.bench.ts`.
 */
import { fileURLToPath } from "node:url";
import { kafkaConsumer, SchemaType } from "@aws-lambda-powertools/kafka";
import type { MSKEvent } from "@aws-lambda-powertools/kafka/types";
import type { Context } from "aws-lambda";
import { KafkaBatchProcessor } from "../functions/lib/core/KafkaBatchProcessor";
import { definePipeline } from "../functions/lib/core/pipeline";
import { employeeRecords, employeeSchema } from "../functions/processor/pipelines";
import { MemoryArchive, MemoryMessageSink } from "../test/doubles/memorySinks";
import type { Benchmark } from "./benchmark";
import { bundleBenchmark, flagValue, printResult, runBundled } from "./bundled";
import { copyFloor } from "./copyFloor";
import { formatRate, perSecond } from "./measure";
import { buildWorkload, SOURCE_TOPIC } from "./workload";

const ITERATIONS = 21;
const WARMUPS = 5;
const PROCESSES = 3;
const GOAL = 2;

interface PairResult {
  readonly records: number;
  readonly oursMs: number;
  readonly peerMs: number;
  readonly floorMs: number;
  readonly oursProduced: number;
  readonly peerProduced: number;
}

const lambdaContext = {
  functionName: "bench",
  functionVersion: "1",
  awsRequestId: "r",
  getRemainingTimeInMillis: () => 60_000,
};

async function runPair(): Promise<PairResult> {
  const workload = buildWorkload();
  const { schema, transform } = employeeRecords;
  let oursProduced = 0;
  let peerProduced = 0;
  let floorProduced = 0;

  const ours = async () => {
    const processor = new KafkaBatchProcessor({
      pipelines: [
        definePipeline({ sourceTopic: SOURCE_TOPIC, targetTopic: "employees.processed", ...employeeRecords }),
      ],
      sink: new MemoryMessageSink(),
      archive: new MemoryArchive(),
    });
    oursProduced = (await processor.process(workload.event, lambdaContext)).stats.produced;
  };

  const peerHandler = kafkaConsumer<unknown, ReturnType<typeof employeeSchema.parse>>(
    async (event) => {
      const outputs: { key: Buffer | null; value: Buffer }[] = [];
      let invalid = 0;
      for (const record of event.records) {
        let value: ReturnType<typeof employeeSchema.parse>;
        try {
          value = record.value;
        } catch {
          // The peer throws on a record its schema refuses; a user must catch it or lose the batch.
          invalid += 1;
          continue;
        }
        const key = typeof record.originalKey === "string" ? Buffer.from(record.originalKey, "base64") : null;
        outputs.push({ key, value: Buffer.from(JSON.stringify(transform(value))) });
      }
      return { produced: outputs.length, invalid };
    },
    { value: { type: SchemaType.JSON, parserSchema: employeeSchema } },
  );
  const peer = async () => {
    // The wrapper's type erases the handler's result to unknown.
    const result = (await peerHandler(workload.event as unknown as MSKEvent, lambdaContext as Context)) as {
      produced: number;
    };
    peerProduced = result.produced;
  };

  const floor = async () => {
    floorProduced = copyFloor(workload.event, schema, transform).length;
  };

  for (let i = 0; i < WARMUPS; i += 1) {
    await ours();
    await peer();
    await floor();
  }
  const oursTimes: number[] = [];
  const peerTimes: number[] = [];
  const floorTimes: number[] = [];
  for (let i = 0; i < ITERATIONS; i += 1) {
    oursTimes.push(await cpuMs(ours));
    peerTimes.push(await cpuMs(peer));
    floorTimes.push(await cpuMs(floor));
  }
  if (floorProduced !== oursProduced) {
    throw new Error(`the floor produced ${floorProduced}, ours ${oursProduced}`);
  }
  return {
    records: workload.recordCount,
    oursMs: median(oursTimes),
    peerMs: median(peerTimes),
    floorMs: median(floorTimes),
    oursProduced,
    peerProduced,
  };
}

async function cpuMs(once: () => Promise<void>): Promise<number> {
  const started = process.cpuUsage();
  await once();
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1000;
}

function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
}

export const benchmark: Benchmark = async (context) => {
  // The peer imports its Avro and Protobuf deserializers on demand; neither is installed nor used.
  const bundle = await bundleBenchmark(import.meta.url, "powertools", ["avro-js", "protobufjs"]);
  const results: PairResult[] = [];
  for (let i = 0; i < PROCESSES; i += 1) {
    const result = await runBundled<PairResult>(bundle, ["--pair", "1"]);
    if (result.oursProduced !== result.peerProduced) {
      throw new Error(
        `the two disagree: ours produced ${result.oursProduced}, the peer ${result.peerProduced}`,
      );
    }
    results.push(result);
    context.log(
      `process ${i + 1} of ${PROCESSES}: ours ${result.oursMs.toFixed(1)} ms, Powertools ${result.peerMs.toFixed(1)} ms, ` +
        `copy floor ${result.floorMs.toFixed(1)} ms per batch (${(result.peerMs / result.oursMs).toFixed(2)}×)`,
    );
  }
  const speedups = results.map((r) => r.peerMs / r.oursMs).sort((a, b) => a - b);
  const best = results.reduce((a, b) => (b.peerMs / b.oursMs > a.peerMs / a.oursMs ? b : a));
  const speedup = median(speedups);
  const floorSpeedups = results.map((r) => r.peerMs / r.floorMs).sort((a, b) => a - b);
  const floorSpeedup = median(floorSpeedups);
  const records = best.records;
  return {
    lines: [
      `${records} records, ${records - best.oursProduced} schema-invalid; ${PROCESSES} processes, each the median CPU time of ${ITERATIONS} alternating runs`,
      `Powertools kafkaConsumer (same zod schema, transform, serialization): ${formatRate(perSecond(records, best.peerMs))}`,
      `KafkaBatchProcessor (in-memory sinks):                                ${formatRate(perSecond(records, best.oursMs))}`,
      `ours faster by ${speedups.map((s) => `${s.toFixed(2)}×`).join(", ")} (per process); median ${speedup.toFixed(2)}×`,
      `the copy floor (bare loop + keys and headers) faster than the peer by ${floorSpeedups.map((s) => `${s.toFixed(2)}×`).join(", ")}; median ${floorSpeedup.toFixed(2)}×, about the most a processor that carries them can be`,
    ],
    ratios: [
      {
        measure: "processor vs Powertools kafkaConsumer, same schema and transform (× faster)",
        ratio: speedup,
        goal: { atLeast: GOAL },
        detail:
          `${median(results.map((r) => r.oursMs)).toFixed(1)} ms vs ${median(results.map((r) => r.peerMs)).toFixed(1)} ms CPU per batch of ${records}; ` +
          `median of ${PROCESSES} processes (${speedups.map((s) => s.toFixed(2)).join(", ")}), each ${ITERATIONS} alternating runs; ` +
          `copy floor ${median(results.map((r) => r.floorMs)).toFixed(1)} ms, ${floorSpeedup.toFixed(2)}× faster than the peer`,
      },
    ],
  };
};

if (flagValue("pair") !== undefined) {
  printResult(await runPair());
} else if (process.env.BENCH_BUNDLED !== "1" && process.argv[1] === fileURLToPath(import.meta.url)) {
  const report = await benchmark({ log: (line) => console.log(line), scale: 1 });
  for (const line of report.lines) console.log(line);
}
