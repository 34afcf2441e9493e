/**
 * What `patches/kafkajs+2.2.4.patch` is worth on its own: the Produce requests (v3, the version
 * kafkajs uses against Kafka 4) of a batch's outputs, encoded by the patched kafkajs and by
 * `kafkajs-stock` (the same release, untouched), alternating in this process, CPU time, medians. The
 * outputs are the processor's own (transformed values, original keys, the lineage headers), one
 * request per source partition, for the processing benchmark's batch of 1.2 KB records and for
 * records of 85 B. No broker: `npm run bench -- kafkajsEncoding` needs no local stack.
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { PartitionChoices } from "../functions/lib/adapters/kafkaPartitioning";
import { KafkaBatchProcessor } from "../functions/lib/core/KafkaBatchProcessor";
import { definePipeline } from "../functions/lib/core/pipeline";
import { employeeRecords } from "../functions/processor/pipelines";
import { MemoryArchive, MemoryMessageSink } from "../test/doubles/memorySinks";
import type { Benchmark } from "./benchmark";
import { median } from "./bundleRuns";
import { buildWorkload, SOURCE_TOPIC } from "./workload";

const ITERATIONS = 15;
const WARMUPS = 3;
const TARGET = "employees.processed";
const PRODUCE_V3 = "src/protocol/requests/produce/v3/request.js";

interface EncodedRequest {
  size(): number;
}
type ProduceV3 = (options: {
  acks: number;
  timeout: number;
  topicData: { topic: string; partitions: { partition: number; messages: unknown[] }[] }[];
}) => { encode(): Promise<EncodedRequest> };

const load = createRequire(import.meta.url);
const encoders = {
  patched: load(`kafkajs/${PRODUCE_V3}`) as ProduceV3,
  stock: load(`kafkajs-stock/${PRODUCE_V3}`) as ProduceV3,
};

/** The kafkajs messages the sink would send for the batch's outputs, one list per partition. */
async function outputsByPartition(valueBytes: number): Promise<unknown[][]> {
  const workload = buildWorkload(SOURCE_TOPIC, valueBytes);
  const sink = new MemoryMessageSink();
  const pipeline = definePipeline({ sourceTopic: SOURCE_TOPIC, targetTopic: TARGET, ...employeeRecords });
  await new KafkaBatchProcessor({ pipelines: [pipeline], sink, archive: new MemoryArchive() }).process(
    workload.event,
    {
      functionName: "bench",
      functionVersion: "1",
      awsRequestId: "r",
      getRemainingTimeInMillis: () => 60_000,
    },
  );
  const choices = new PartitionChoices();
  const messages = sink.messages(TARGET).map((m) => choices.toKafkaMessage(m));
  return [0, 1, 2].map((p) => messages.filter((_, i) => i % 3 === p));
}

async function encodeAll(produce: ProduceV3, partitions: readonly unknown[][]): Promise<number> {
  let bytes = 0;
  for (const messages of partitions) {
    const request = produce({
      acks: -1,
      timeout: 10_000,
      topicData: [{ topic: TARGET, partitions: [{ partition: 0, messages: [...messages] }] }],
    });
    bytes += (await request.encode()).size();
  }
  return bytes;
}

async function compare(valueBytes: number) {
  const partitions = await outputsByPartition(valueBytes);
  const times = { patched: [] as number[], stock: [] as number[] };
  let bytes = 0;
  for (let i = 0; i < WARMUPS + ITERATIONS; i += 1) {
    for (const side of ["stock", "patched"] as const) {
      const started = process.cpuUsage();
      bytes = await encodeAll(encoders[side], partitions);
      const used = process.cpuUsage(started);
      if (i >= WARMUPS) times[side].push((used.user + used.system) / 1000);
    }
  }
  const records = partitions.reduce((sum, p) => sum + p.length, 0);
  return { records, bytes, patched: median(times.patched), stock: median(times.stock) };
}

export const benchmark: Benchmark = async ({ log }) => {
  const lines: string[] = [];
  const ratios = [];
  for (const valueBytes of [1_200, 85]) {
    log(`encoding the outputs of a batch of ${valueBytes} B records, ${ITERATIONS} alternating runs`);
    const r = await compare(valueBytes);
    const ratio = r.stock / r.patched;
    const detail = `${r.patched.toFixed(1)} ms vs ${r.stock.toFixed(1)} ms CPU for ${r.records} records in 3 Produce requests (${(r.bytes / 1e6).toFixed(2)} MB); medians of ${ITERATIONS} alternating runs`;
    lines.push(`outputs of ${valueBytes} B records: patched ${detail}; ${ratio.toFixed(2)}× faster`);
    ratios.push({
      measure: `kafkajs Produce encoding, patched vs as installed, outputs of ${valueBytes} B records (× faster)`,
      ratio,
      // The patch must pay for itself: never slower than the release it changes.
      goal: { atLeast: 1 },
      detail,
    });
  }
  return { lines, ratios };
};

if (process.env.BENCH_BUNDLED !== "1" && process.argv[1] === fileURLToPath(import.meta.url)) {
  const report = await benchmark({ log: (line) => console.log(line), scale: 1 });
  for (const line of report.lines) console.log(line);
}
