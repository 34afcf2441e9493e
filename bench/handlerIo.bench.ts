/**
 * Benchmark 2 of the processor: the whole handler against the local stack (real target and DLQ
 * topics, S3 archive, DynamoDB index), against bare kafkajs sends of the same transformed records
 * to the same broker with the same acks.
 *
 * What runs is what is deployed: the processor's composition root (`createProcessorHandler`: middy,
 * Powertools logger and metrics, the real adapters), with pipelines on this benchmark's topics,
 * bundled by the construct's own definition (`infra/bundling/lambdaBundle.ts`: minified ESM, the
 * AWS SDK in split chunks), as the integration tests bundle it. Both sides run in one child
 * process, alternating, so a neighbour's burst hits both, in three such processes; the ratio is the
 * median of every run's paired ratio (baseline time / handler time, measured back to back). Beside
 * wall time, each side reports the process's CPU time and its Produce requests (kafkajs's
 * instrumentation), which tell where the gap goes: our CPU, or round trips to the broker.
 * The baseline is kafkajs as a user installs it (`kafkajs-stock`, the same release untouched); the
 * handler runs the project's kafkajs, whose Produce encoding and partitioning
 * `patches/kafkajs+2.2.4.patch` makes faster. A fourth side sends the baseline's records with that
 * patched kafkajs, so the table tells the patch's share from the rest of the handler's.
 * A third side runs the same handler with `KAFKA_PRODUCER=platformatic` (the @platformatic/kafka
 * sink, same records, acks=-1, same request sizes); its Produce requests are not counted (the
 * instrumentation is kafkajs's), its ratio against the kafkajs handler is paired the same way.
 * Run alone: `npx tsx bench/handlerIo.bench.ts` (the stack must be up).
 */
import { fileURLToPath } from "node:url";
import type { Context } from "aws-lambda";
import { Kafka, type Message } from "kafkajs";
import { Kafka as StockKafka } from "kafkajs-stock";
import { KafkaBatchProcessor } from "../functions/lib/core/KafkaBatchProcessor";
import { definePipeline } from "../functions/lib/core/pipeline";
import { messageBytes, sizedRanges } from "../functions/lib/core/processing/sizedChunks";
import { createProcessorHandler } from "../functions/lib/lambda/processorHandler";
import { employeeRecords } from "../functions/processor/pipelines";
import { localKafkaConfig } from "../stack/clients";
import { ensureTopics } from "../stack/provision";
import { startStack } from "../stack/stack";
import { topicSpec } from "../stack/topology";
import { silenceKafkajsTimeoutWarning } from "../stack/warnings";
import { MemoryArchive, MemoryMessageSink } from "../test/doubles/memorySinks";
import type { Benchmark } from "./benchmark";
import { flagValue, printResult, runBundled } from "./bundled";
import { buildBundle } from "./bundleRuns";
import { formatRate, peakRssMiB, perSecond } from "./measure";
import { countProduceRequests, type ProduceRequest } from "./produceRequests";
import { buildWorkload } from "./workload";

const SOURCE = "bench.io.employees";
const TARGET = `${SOURCE}.out`;
const DLQ = `${SOURCE}.dlq`;
const ITERATIONS = 9;
/** Child processes, each alternating both sides: a process's JIT and heap luck should not decide. */
const PROCESSES = 3;
const WARMUPS = 2;
/** The processor's default `maxRequestBytes` (`MAX_REQUEST_BYTES`). */
const REQUEST_BYTES = 900_000;

/** One run of one side. */
interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly produceRequests: number;
  /** Sum of the Produce requests' durations: broker time, overlapping requests counted each. */
  readonly brokerMs: number;
}

interface SideResult {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly produceRequests: number;
  readonly brokerMs: number;
}

interface ChildResult {
  readonly records: number;
  readonly invalid: number;
  readonly outputs: number;
  /** Bytes of the outputs as `sizedRanges` weighs them, and the baseline's sends. */
  readonly outputBytes: number;
  readonly baselineSends: number;
  readonly failures: number;
  /** Per run: the baseline's time / the handler's time, the two measured back to back. */
  readonly pairedRatios: readonly number[];
  readonly baseline: SideResult;
  /** The baseline's sends through the project's patched kafkajs. */
  readonly patchedBaseline: SideResult;
  /** Per run: the patched baseline's time / the handler's time, back to back. */
  readonly patchedRatios: readonly number[];
  readonly handler: SideResult;
  readonly indexed: SideResult;
  /** The handler with `KAFKA_PRODUCER=platformatic`, index off as `handler`. */
  readonly platformatic: SideResult;
  /** Per run: the kafkajs handler's time / the platformatic handler's time, back to back. */
  readonly platformaticRatios: readonly number[];
  /** The same processor with in-memory sinks: our own CPU, without the clients' encoding and I/O. */
  readonly inMemory: SideResult;
  /** The median run's Produce requests of each side: when each went out and how long it took. */
  readonly timelines: { readonly baseline: string; readonly handler: string };
  readonly peakRssMiB: number;
}

const lambdaContext = {
  functionName: "bench-io",
  functionVersion: "$LATEST",
  invokedFunctionArn: "arn:aws:lambda:us-east-1:111122223333:function:bench-io",
  memoryLimitInMB: "512",
  awsRequestId: "bench",
  logGroupName: "/aws/lambda/bench-io",
  logStreamName: "bench",
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

/** Inside the bundle: both sides, alternating. */
async function runSides(): Promise<ChildResult> {
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "localsecret",
    POWERTOOLS_LOG_LEVEL: "SILENT",
    POWERTOOLS_METRICS_DISABLED: "true",
  });
  silenceKafkajsTimeoutWarning();
  const log = countProduceRequests();
  const workload = buildWorkload(SOURCE);
  const pipeline = definePipeline({
    sourceTopic: SOURCE,
    targetTopic: TARGET,
    dlqTopic: DLQ,
    ...employeeRecords,
  });
  // As the benchmark is specified (target topic, DLQ topic, S3), and with the DynamoDB index on top,
  // which on DynamoDB Local costs far more than on DynamoDB (SQLite behind every GSI write).
  process.env.DEAD_LETTER_INDEX = "false";
  const plain = createProcessorHandler([pipeline]);
  process.env.KAFKA_PRODUCER = "platformatic";
  const platformatic = createProcessorHandler([pipeline]);
  delete process.env.KAFKA_PRODUCER;
  process.env.DEAD_LETTER_INDEX = "true";
  const indexed = createProcessorHandler([pipeline]);

  // The baseline sends the very records the handler writes to the target topic (transformed value,
  // original key, original plus lineage headers), captured once with an in-memory sink.
  const capture = new MemoryMessageSink();
  const inMemory = () =>
    new KafkaBatchProcessor({ pipelines: [pipeline], sink: capture, archive: new MemoryArchive() }).process(
      workload.event,
      lambdaContext,
    );
  await inMemory();
  const outputs = capture.messages(TARGET);
  const messages: Message[] = outputs.map((m) => ({
    key: m.key,
    value: m.value,
    headers: Object.fromEntries(m.headers.map((h) => [h.name, h.value])),
  }));
  // Under the broker's 1 MB limit per request, in the handler's request size, all at once: as fast
  // as kafkajs can write them.
  const requests = sizedRanges(outputs, REQUEST_BYTES).map(([start, end]) => messages.slice(start, end));
  const producer = new StockKafka(localKafkaConfig({ clientId: "bench-io" })).producer({
    allowAutoTopicCreation: false,
  });
  const patchedProducer = new Kafka(localKafkaConfig({ clientId: "bench-io-patched" })).producer({
    allowAutoTopicCreation: false,
  });
  await Promise.all([producer.connect(), patchedProducer.connect()]);

  let failures = 0;
  const invoke = (handler: typeof plain.handler) => async () => {
    const response = (await handler(workload.event, lambdaContext)) as { batchItemFailures: unknown[] };
    failures += response.batchItemFailures.length;
  };
  const sides = {
    baseline: async () => {
      await Promise.all(requests.map((chunk) => producer.send({ topic: TARGET, acks: -1, messages: chunk })));
    },
    patchedBaseline: async () => {
      await Promise.all(
        requests.map((chunk) => patchedProducer.send({ topic: TARGET, acks: -1, messages: chunk })),
      );
    },
    handler: invoke(plain.handler),
    platformatic: invoke(platformatic.handler),
    indexed: invoke(indexed.handler),
    inMemory: async () => {
      capture.topics.clear();
      await inMemory();
    },
  };
  const samples = {
    baseline: [] as Sample[],
    patchedBaseline: [] as Sample[],
    handler: [] as Sample[],
    platformatic: [] as Sample[],
    indexed: [] as Sample[],
    inMemory: [] as Sample[],
  };
  const timelines = {
    baseline: [] as Timeline[],
    patchedBaseline: [] as Timeline[],
    handler: [] as Timeline[],
    platformatic: [] as Timeline[],
    indexed: [] as Timeline[],
    inMemory: [] as Timeline[],
  };
  const sample = async (once: () => Promise<void>): Promise<Sample> => {
    log.reset();
    const cpu = process.cpuUsage();
    const started = performance.now();
    await once();
    const wallMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const answered = log.requests;
    return {
      wallMs,
      cpuMs: (used.user + used.system) / 1000,
      produceRequests: answered.length,
      brokerMs: answered.reduce((sum, r) => sum + r.durationMs, 0),
    };
  };
  for (let i = 0; i < WARMUPS; i += 1) for (const once of Object.values(sides)) await once();
  for (let i = 0; i < ITERATIONS; i += 1) {
    for (const name of [
      "baseline",
      "handler",
      "patchedBaseline",
      "platformatic",
      "indexed",
      "inMemory",
    ] as const) {
      const s = await sample(sides[name]);
      samples[name].push(s);
      timelines[name].push({ wallMs: s.wallMs, line: describeRequests(log.requests) });
    }
  }
  await Promise.all([producer.disconnect(), patchedProducer.disconnect()]);
  await plain.parts.sink.disconnect();
  await indexed.parts.sink.disconnect();
  await platformatic.parts.sink.disconnect();
  return {
    records: workload.recordCount,
    invalid: workload.invalidCount,
    outputs: outputs.length,
    outputBytes: outputs.reduce((sum, m) => sum + messageBytes(m), 0),
    baselineSends: requests.length,
    failures,
    pairedRatios: samples.handler.map((h, i) => (samples.baseline[i] as Sample).wallMs / h.wallMs),
    baseline: medianSide(samples.baseline),
    patchedBaseline: medianSide(samples.patchedBaseline),
    patchedRatios: samples.handler.map((h, i) => (samples.patchedBaseline[i] as Sample).wallMs / h.wallMs),
    handler: medianSide(samples.handler),
    platformatic: medianSide(samples.platformatic),
    platformaticRatios: samples.platformatic.map((p, i) => (samples.handler[i] as Sample).wallMs / p.wallMs),
    indexed: medianSide(samples.indexed),
    inMemory: medianSide(samples.inMemory),
    timelines: { baseline: medianTimeline(timelines.baseline), handler: medianTimeline(timelines.handler) },
    peakRssMiB: peakRssMiB(),
  };
}

interface Timeline {
  readonly wallMs: number;
  readonly line: string;
}

function describeRequests(requests: readonly ProduceRequest[]): string {
  return requests
    .map((r) => `+${r.sentAtMs}ms ${r.durationMs}ms${r.queuedMs > 0 ? ` (queued ${r.queuedMs})` : ""}`)
    .join(", ");
}

function medianTimeline(timelines: readonly Timeline[]): string {
  return [...timelines].sort((a, b) => a.wallMs - b.wallMs)[Math.floor(timelines.length / 2)]?.line ?? "";
}

function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
}

/** The median of each figure on its own. */
function medianSide(samples: readonly Sample[]): SideResult {
  const of = (pick: (s: Sample) => number) => median(samples.map(pick));
  return {
    wallMs: of((s) => s.wallMs),
    cpuMs: of((s) => s.cpuMs),
    produceRequests: of((s) => s.produceRequests),
    brokerMs: of((s) => s.brokerMs),
  };
}

export const benchmark: Benchmark = async (context) => {
  await startStack({ log: (line) => context.log(line) });
  const kafka = new Kafka(localKafkaConfig({ clientId: "bench-io" }));
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [topicSpec(SOURCE), topicSpec(TARGET), topicSpec(DLQ)]);
  await admin.disconnect();

  const bundle = await buildBundle("bench/handlerIo.bench.ts", "handlerIo");
  const children: ChildResult[] = [];
  for (let i = 0; i < PROCESSES; i += 1) {
    context.log(`child process ${i + 1} of ${PROCESSES}: both sides, ${ITERATIONS} alternating runs each`);
    const child = await runBundled<ChildResult>(bundle, ["--sides", "1"]);
    if (child.failures > 0)
      throw new Error(`the handler reported ${child.failures} records for retry; the run is not comparable`);
    children.push(child);
  }
  // The median of every paired run's ratio over all processes; the figures of the process whose own
  // median is the middle one.
  const perProcess = children.map((c) => median(c.pairedRatios));
  const ratio = median(children.flatMap((c) => c.pairedRatios));
  const result = [...children].sort((a, b) => median(a.pairedRatios) - median(b.pairedRatios))[
    Math.floor(children.length / 2)
  ] as ChildResult;
  const handlerRate = perSecond(result.records, result.handler.wallMs);
  const baselineRate = perSecond(result.records, result.baseline.wallMs);
  const indexedRate = perSecond(result.records, result.indexed.wallMs);
  const platformaticRate = perSecond(result.records, result.platformatic.wallMs);
  const platformaticRatio = median(children.flatMap((c) => c.platformaticRatios));
  const patchedRatio = median(children.flatMap((c) => c.patchedRatios));
  const platformaticPerProcess = children.map((c) => median(c.platformaticRatios));
  const platformaticVsBaseline = median(
    children.flatMap((c) => c.platformaticRatios.map((r, i) => r * (c.pairedRatios[i] ?? Number.NaN))),
  );
  const side = (s: SideResult) =>
    `${s.wallMs.toFixed(0)} ms wall, ${s.cpuMs.toFixed(0)} ms CPU, ${s.produceRequests} Produce requests (${s.brokerMs} ms of broker time)`;
  return {
    lines: [
      `${result.records} records (${result.invalid} dead-lettered, ${result.outputs} outputs of ${(result.outputBytes / 1e6).toFixed(2)} MB) per batch, bundled, ${PROCESSES} child processes of ${ITERATIONS} alternating runs each; figures of the middle process, medians`,
      `baseline (kafkajs sends of the same output records and headers, acks=-1, ${result.baselineSends} sends of up to 900 KB at once; kafkajs as installed, unpatched): ${formatRate(baselineRate)}; ${side(result.baseline)}`,
      `the same sends with the project's patched kafkajs (patches/kafkajs+2.2.4.patch): ${formatRate(perSecond(result.records, result.patchedBaseline.wallMs))}; ${side(result.patchedBaseline)}; handler vs these sends ${patchedRatio.toFixed(2)} (paired)`,
      `handler (decode..produce, DLQ topic, S3 archive): ${formatRate(handlerRate)}; ${side(result.handler)}`,
      `  the median run's Produce requests (sent at, took): baseline ${result.timelines.baseline}; handler ${result.timelines.handler}`,
      `ratio handler/baseline: ${ratio.toFixed(2)} (median of the ${PROCESSES * ITERATIONS} paired runs; per process ${perProcess.map((r) => r.toFixed(2)).join(", ")}); peak RSS of the child process ${result.peakRssMiB} MiB (the parent: ${peakRssMiB()} MiB)`,
      `where the handler's time goes: the same processor with in-memory sinks takes ${result.inMemory.cpuMs.toFixed(0)} ms CPU (${result.inMemory.wallMs.toFixed(0)} ms wall); kafkajs's encoding and I/O of the outputs, the baseline, ${result.baseline.cpuMs.toFixed(0)} ms CPU`,
      `handler with KAFKA_PRODUCER=platformatic (@platformatic/kafka, acks=-1): ${formatRate(platformaticRate)}; ${result.platformatic.wallMs.toFixed(0)} ms wall, ${result.platformatic.cpuMs.toFixed(0)} ms CPU (Produce requests not counted: the instrumentation is kafkajs's)`,
      `ratio kafkajs handler / platformatic handler (wall, paired): ${platformaticRatio.toFixed(2)} (per process ${platformaticPerProcess.map((r) => r.toFixed(2)).join(", ")}); CPU ${result.handler.cpuMs.toFixed(0)} vs ${result.platformatic.cpuMs.toFixed(0)} ms (${(result.handler.cpuMs / result.platformatic.cpuMs).toFixed(2)}x); platformatic handler vs the kafkajs baseline: ${platformaticVsBaseline.toFixed(2)}`,
      `with the DynamoDB dead-letter index as well (DynamoDB Local): ${formatRate(indexedRate)}, ratio ${(indexedRate / baselineRate).toFixed(2)}; ${side(result.indexed)}`,
    ],
    ratios: [
      {
        measure: "whole handler (broker, DLQ topic, S3) vs one kafkajs send of the same records",
        ratio,
        goal: { atLeast: 0.8 },
        detail:
          `${formatRate(handlerRate)} vs ${formatRate(baselineRate)} (kafkajs as installed; the handler's kafkajs is patched: vs the same sends with it ${patchedRatio.toFixed(2)}; acks=all; CPU ${result.handler.cpuMs.toFixed(0)} vs ` +
          `${result.baseline.cpuMs.toFixed(0)} ms, ${result.handler.produceRequests} vs ${result.baseline.produceRequests} Produce requests); ` +
          `${result.records} records, ${result.invalid} dead letters; bundled; median of ${PROCESSES} processes × ${ITERATIONS} paired runs (per process ${perProcess.map((r) => r.toFixed(2)).join(", ")})`,
      },
      {
        // The first row's measure, for a function that opts into the second producer.
        measure: "whole handler with KAFKA_PRODUCER=platformatic vs one kafkajs send of the same records",
        ratio: platformaticVsBaseline,
        goal: { atLeast: 0.8 },
        detail:
          `paired runs: (kafkajs handler / platformatic handler) × (baseline / kafkajs handler); CPU ${result.platformatic.cpuMs.toFixed(0)} vs ` +
          `${result.baseline.cpuMs.toFixed(0)} ms; acks=all on both; median of ${PROCESSES} processes × ${ITERATIONS} paired runs`,
      },
      {
        measure:
          "whole handler with KAFKA_PRODUCER=platformatic vs the same handler with kafkajs (issue 11: an option if it measurably wins)",
        ratio: platformaticRatio,
        goal: { atLeast: 1 },
        detail:
          `${formatRate(platformaticRate)} vs ${formatRate(handlerRate)} (acks=all; CPU ${result.platformatic.cpuMs.toFixed(0)} vs ` +
          `${result.handler.cpuMs.toFixed(0)} ms); vs the kafkajs baseline ${platformaticVsBaseline.toFixed(2)}; median of ${PROCESSES} processes × ${ITERATIONS} paired runs (per process ${platformaticPerProcess.map((r) => r.toFixed(2)).join(", ")})`,
      },
    ],
  };
};

if (flagValue("sides") !== undefined) {
  printResult(await runSides());
  // The handlers keep their clients open, as in a Lambda container.
  process.exit(0);
} else if (process.env.BENCH_BUNDLED !== "1" && process.argv[1] === fileURLToPath(import.meta.url)) {
  const report = await benchmark({ log: (line) => console.log(line), scale: 1 });
  for (const line of report.lines) console.log(line);
  process.exit(0);
}
