/**
 * Benchmark 2 of the processor: the whole handler against the local stack (real target and DLQ
 * topics, S3 archive, DynamoDB index), against a bare kafkajs send of the same transformed records
 * to the same broker with the same acks. Both run in this process, alternating, so a neighbour's
 * burst hits both; each figure is the median of its runs.
 */
import type { Context } from "aws-lambda";
import { Kafka, type Message } from "kafkajs";
import { loadConfig } from "../functions/lib/config";
import { KafkaBatchProcessor } from "../functions/lib/core/KafkaBatchProcessor";
import { definePipeline } from "../functions/lib/core/pipeline";
import { silentLogger } from "../functions/lib/core/ports";
import { sizedRanges } from "../functions/lib/core/processing/sizedChunks";
import { createProcessor } from "../functions/lib/lambda/createProcessor";
import { withKafkaBatchProcessing } from "../functions/lib/lambda/withKafkaBatchProcessing";
import { employeeRecords } from "../functions/processor/pipelines";
import { localKafkaConfig } from "../stack/clients";
import { ensureTopics } from "../stack/provision";
import { startStack } from "../stack/stack";
import { topicSpec } from "../stack/topology";
import { MemoryArchive, MemoryMessageSink } from "../test/doubles/memorySinks";
import type { Benchmark } from "./benchmark";
import { formatRate, measure, peakRssMiB, perSecond } from "./measure";
import { buildWorkload } from "./workload";

const SOURCE = "bench.io.employees";
const TARGET = `${SOURCE}.out`;
const DLQ = `${SOURCE}.dlq`;
const ITERATIONS = 7;
/** The processor's default `maxRequestBytes`. */
const REQUEST_BYTES = 900_000;
const WARMUPS = 2;

export const benchmark: Benchmark = async (context) => {
  await startStack({ log: (line) => context.log(line) });
  const kafka = new Kafka(localKafkaConfig({ clientId: "bench-io" }));
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [topicSpec(SOURCE), topicSpec(TARGET), topicSpec(DLQ)]);

  const workload = buildWorkload(SOURCE);
  const env = { ...process.env, AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "localsecret" };
  const pipeline = definePipeline({
    sourceTopic: SOURCE,
    targetTopic: TARGET,
    dlqTopic: DLQ,
    ...employeeRecords,
  });
  // As the benchmark is specified (target topic, DLQ topic, S3), and with the DynamoDB index on top,
  // which on DynamoDB Local costs far more than on DynamoDB (SQLite behind every GSI write).
  const parts = createProcessor(loadConfig({ ...env, DEAD_LETTER_INDEX: "false" }), [pipeline], silentLogger);
  const indexed = createProcessor(
    loadConfig({ ...env, DEAD_LETTER_INDEX: "true" }),
    [pipeline],
    silentLogger,
  );
  const handler = withKafkaBatchProcessing({ processor: parts.processor });
  const indexedHandler = withKafkaBatchProcessing({ processor: indexed.processor });
  const lambdaContext = {
    functionName: "bench-io",
    functionVersion: "$LATEST",
    awsRequestId: "bench",
    getRemainingTimeInMillis: () => 60_000,
  } as unknown as Context;

  // The baseline sends the very records the handler writes to the target topic (transformed value,
  // original key, original plus lineage headers), captured once with an in-memory sink.
  const capture = new MemoryMessageSink();
  await new KafkaBatchProcessor({
    pipelines: [pipeline],
    sink: capture,
    archive: new MemoryArchive(),
  }).process(workload.event, lambdaContext);
  const messages: Message[] = capture.messages(TARGET).map((m) => ({
    key: m.key,
    value: m.value,
    headers: Object.fromEntries(m.headers.map((h) => [h.name, h.value])),
  }));
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();

  let failures = 0;
  const handlerOnce = async () => {
    const response = await handler(workload.event, lambdaContext);
    failures += response.batchItemFailures.length;
  };
  const indexedOnce = async () => {
    const response = await indexedHandler(workload.event, lambdaContext);
    failures += response.batchItemFailures.length;
  };
  // Under the broker's 1 MB limit per request (the outputs of a 6 MB batch are about 4 MB), in
  // the handler's request size, all at once: as fast as kafkajs can write them.
  const requests = sizedRanges(capture.messages(TARGET), REQUEST_BYTES).map(([start, end]) =>
    messages.slice(start, end),
  );
  const baselineOnce = async () => {
    await Promise.all(requests.map((chunk) => producer.send({ topic: TARGET, acks: -1, messages: chunk })));
  };
  // Alternate single runs so both see the same machine; keep the median of each.
  const handlerTimes: number[] = [];
  const indexedTimes: number[] = [];
  const baselineTimes: number[] = [];
  await measure(0, WARMUPS, handlerOnce);
  await measure(0, WARMUPS, indexedOnce);
  await measure(0, WARMUPS, baselineOnce);
  for (let i = 0; i < ITERATIONS; i += 1) {
    context.log(`run ${i + 1} of ${ITERATIONS}`);
    baselineTimes.push((await measure(1, 0, baselineOnce)).medianMs);
    handlerTimes.push((await measure(1, 0, handlerOnce)).medianMs);
    indexedTimes.push((await measure(1, 0, indexedOnce)).medianMs);
  }
  await producer.disconnect();
  await parts.sink.disconnect();
  await indexed.sink.disconnect();
  await admin.disconnect();
  if (failures > 0)
    throw new Error(`the handler reported ${failures} partitions for retry; the run is not comparable`);

  const median = (times: number[]) =>
    [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? Number.NaN;
  const handlerRate = perSecond(workload.recordCount, median(handlerTimes));
  const baselineRate = perSecond(workload.recordCount, median(baselineTimes));
  const indexedRate = perSecond(workload.recordCount, median(indexedTimes));
  const ratio = handlerRate / baselineRate;
  return {
    lines: [
      `${workload.recordCount} records (${workload.invalidCount} dead-lettered) per batch, ${ITERATIONS} alternating runs each, medians`,
      `baseline (kafkajs sends of the same output records and headers, acks=-1, 900 KB requests at once): ${formatRate(baselineRate)}`,
      `handler (decode..produce, DLQ topic, S3 archive): ${formatRate(handlerRate)}`,
      `ratio handler/baseline: ${ratio.toFixed(2)}; peak RSS of the process ${peakRssMiB()} MiB`,
      `with the DynamoDB dead-letter index as well (DynamoDB Local): ${formatRate(indexedRate)}, ratio ${(indexedRate / baselineRate).toFixed(2)}`,
    ],
    ratios: [
      {
        measure: "whole handler (broker, DLQ topic, S3) vs one kafkajs send of the same records",
        ratio,
        goal: { atLeast: 0.8 },
        detail:
          `${formatRate(handlerRate)} vs ${formatRate(baselineRate)} (acks=all); ${workload.recordCount} records, ` +
          `${workload.invalidCount} dead letters; medians of ${ITERATIONS} alternating runs`,
      },
    ],
  };
};
