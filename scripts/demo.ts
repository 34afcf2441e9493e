/**
 * The main job (`npm start`): the whole pipeline, end to end, on the local stack.
 *
 * 1. Ensures the stack's topics (3 partitions each), bucket and tables.
 * 2. Produces a seeded sample stream to `employees` and `user-events`: good records mixed with
 *    malformed JSON, negative ages, missing fields and bytes that are not UTF-8; and to `card-payments`,
 *    Avro in the Confluent wire format (schemas registered in the stack's schema registry, two
 *    versions), mixed with records naming an unknown schema, bytes that are not Avro and negative
 *    amounts.
 * 3. Runs the real processor Lambda (`functions/processor/handler.ts`, bundled as deployed, in the
 *    emulator's Lambda-like sandbox) under the event source mapping emulator until the stream is
 *    drained. For the first seconds S3 is unreachable for the function (a TCP forwarder in front
 *    of S3 is cut off): dead letters cannot be archived, so the
 *    records that need one fail transiently and are retried by the mapping until S3 is back.
 * 4. Reads every sink back (target topics, DLQ topics, S3 archive, on-failure destination) and
 *    accounts for every produced record. Exit status 0 only when none is missing and each landed
 *    where its kind says it should.
 *
 * Options: --seed <n> (default 42), --count <n> (default 400), --outage-ms <n> (default 5000, 0 for
 * none), --in-process (the handler in this process instead of the sandbox). DEMO_FUNCTION_LOGS=1
 * shows the function's log stream (START, its JSON logs, END, REPORT).
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Kafka } from "kafkajs";
import { bundleHandler } from "../emulator/bundleHandler";
import { EventSourceMappingEmulator } from "../emulator/EventSourceMappingEmulator";
import { TcpOutageProxy } from "../emulator/faults/TcpOutageProxy";
import { loadHandler } from "../emulator/loadHandler";
import { mappingUuid } from "../emulator/onFailure";
import { ProgressDisplay } from "../emulator/ProgressDisplay";
import { locateRecords, PLACES, type Placement, sourceId } from "../emulator/reconcile/locateRecords";
import { endOffsets } from "../emulator/reconcile/readTopic";
import { reconcile } from "../emulator/reconcile/reconcile";
import {
  PAYMENT_SCHEMA_V1,
  PAYMENT_SCHEMA_V2,
  type PaymentSchemaIds,
} from "../emulator/samples/paymentSamples";
import { type ProducedSample, produceSamples } from "../emulator/samples/produceSamples";
import { SAMPLE_STREAMS, type SampleStream, sampleStream } from "../emulator/samples/sampleStream";
import { registerSchema } from "../emulator/samples/schemaRegistration";
import { resolveMappingSettings } from "../emulator/settings";
import type { KafkaLambdaHandler } from "../emulator/types";
import { loadConfig, localSchemaRegistryUrl } from "../functions/lib/config";
import { s3ClientConfig } from "../functions/lib/lambda/createProcessor";
import { localKafkaConfig, localS3ClientConfig } from "../stack/clients";
import { ensureTopics, provisionStack } from "../stack/provision";
import { DEFAULT_PARTITIONS, localTopology, topicSpec } from "../stack/topology";
import { silenceKafkajsTimeoutWarning } from "../stack/warnings";

const HANDLER = fileURLToPath(new URL("../functions/processor/handler.ts", import.meta.url));
const TARGETS: Readonly<Record<SampleStream, { target: string; dlq: string }>> = {
  employees: { target: "employees.processed", dlq: "employees.dlq" },
  "user-events": { target: "user-events.processed", dlq: "user-events.dlq" },
  "card-payments": { target: "card-payments.processed", dlq: "card-payments.dlq" },
};
/** A drained stream is reached in seconds; this only stops a run that hangs. */
const RUN_LIMIT_MS = 180_000;

class DemoFailure extends Error {}

async function main(): Promise<void> {
  const { seed, count, outageMs, inProcess } = readOptions();
  silenceKafkajsTimeoutWarning();
  const say = (line: string) => console.log(line);
  const config = loadConfig();
  const kafka = new Kafka(localKafkaConfig({ clientId: "demo" }));
  const s3 = new S3Client(localS3ClientConfig(config));

  say(`[demo] seed ${seed}, ${count} records; ensuring topics, bucket and tables`);
  await provisionStack(localTopology(config), config);
  const streams = Object.values(SAMPLE_STREAMS);
  const registryUrl = localSchemaRegistryUrl();
  const avro = await preparePayments(kafka, registryUrl);
  const sinkTopics = streams.flatMap((s) => [TARGETS[s].target, TARGETS[s].dlq]);
  const before = new Map<string, Map<number, number>>();
  for (const topic of [...streams, ...sinkTopics]) before.set(topic, await endOffsets(kafka, topic));

  const samples = sampleStream({ seed, count, avro });
  const produced: ProducedSample[] = [];
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  for (const stream of streams) {
    const mine = samples.filter((s) => s.stream === stream);
    produced.push(...(await produceSamples(producer, stream, mine, DEFAULT_PARTITIONS)));
  }
  await producer.disconnect();
  const kinds = countBy(samples, (s) => s.kind);
  say(
    `[demo] produced ${produced.length}: ${streams.map((s) => `${s} ${samples.filter((x) => x.stream === s).length}`).join(", ")}` +
      ` (${Object.entries(kinds)
        .map(([k, n]) => `${k} ${n}`)
        .join(", ")})`,
  );

  // The function reaches S3 through a forwarder the demo can cut off: a real outage for the
  // function, while the S3 server itself (and everything else using it) keeps running.
  const s3Url = new URL(config.aws.s3Endpoint ?? "http://127.0.0.1:9000");
  const proxy = new TcpOutageProxy({ targetHost: s3Url.hostname, targetPort: Number(s3Url.port || 80) });
  const proxyEndpoint = await proxy.start();
  const functionEnvironment = {
    S3_ENDPOINT: proxyEndpoint,
    SCHEMA_REGISTRY_URL: registryUrl,
    DEADLINE_SAFETY_MS: "1000",
    POWERTOOLS_METRICS_DISABLED: "true",
    ...(process.env.DEMO_FUNCTION_LOGS === "1" ? {} : { POWERTOOLS_LOG_LEVEL: "SILENT" }),
  };

  const groupId = `demo-${seed}-${randomBytes(3).toString("hex")}`;
  const onFailurePrefix = "on-failure/demo";
  const settings = resolveMappingSettings({
    topics: streams,
    groupId,
    batchSize: 50,
    batchingWindowMs: 200,
    retryAttempts: 10,
    bisectBatchOnError: true,
    onFailure: `s3://${config.archive.bucket}/${onFailurePrefix}`,
    timeoutS: 4,
    functionName: "kafka-processor",
    memorySizeMb: 512,
  });
  // The outage starts with the first fetched records, so the first batches meet it.
  let outage: "pending" | "on" | "over" = outageMs > 0 ? "pending" : "over";
  const startOutage = () => {
    outage = "on";
    void proxy.cutOff().then(() => {
      display.log(
        `[demo] S3 is unreachable for the function for ${outageMs / 1000} s: dead letters fail transiently`,
      );
      setTimeout(() => {
        void proxy.restore().then(() => {
          outage = "over";
          display.log("[demo] S3 is reachable again");
        });
      }, outageMs);
    });
  };
  const display = new ProgressDisplay({ total: produced.length, label: "[demo]" });
  // Lambda runs the bundle the construct deploys, in a sandbox of its own: so does the demo, unless
  // --in-process asks for the handler in this process (sources, no timeout or memory kills).
  const fn = inProcess
    ? { handler: await inProcessHandler(functionEnvironment) }
    : {
        sandbox: {
          module: await bundleHandler(HANDLER),
          environment: functionEnvironment,
          // The log stream (START, the function's lines, END, REPORT) with DEMO_FUNCTION_LOGS=1.
          functionLog: (line: string) => {
            if (process.env.DEMO_FUNCTION_LOGS === "1") display.log(line);
          },
        },
      };
  say(
    `[demo] the processor runs ${inProcess ? "in this process (sources)" : "in Lambda-like sandboxes (the deployed bundle)"}`,
  );
  const emulator = new EventSourceMappingEmulator({
    ...fn,
    connection: { brokers: config.kafka.brokers, ssl: false, sasl: undefined, clientId: "demo-emulator" },
    settings,
    s3: s3ClientConfig(config),
    // Start exactly at the records produced above, as a new mapping with LATEST would.
    initialOffsets: streams.flatMap((topic) =>
      [...(before.get(topic) ?? new Map<number, number>())].map(([partition, offset]) => ({
        topic,
        partition,
        offset,
      })),
    ),
    logger: display.logger(),
    onProgress: (stats) => {
      if (outage === "pending" && stats.polled > 0) startOutage();
      display.update(stats);
    },
  });

  const limit = AbortSignal.timeout(RUN_LIMIT_MS);
  const run = await emulator.run({ untilIdleMs: 2_000, signal: limit });
  display.finish();
  await proxy.close();
  if (run.reason !== "idle") {
    throw new DemoFailure(
      `the stream was not drained within ${RUN_LIMIT_MS / 1000} s (stopped: ${run.reason})`,
    );
  }

  say("[demo] reading back target topics, DLQ topics, S3 archive and on-failure destination");
  const placements = await locateRecords(kafka, {
    targets: streams.map((s) => ({
      topic: TARGETS[s].target,
      from: before.get(TARGETS[s].target) ?? new Map(),
    })),
    deadLetters: streams.map((s) => ({
      topic: TARGETS[s].dlq,
      from: before.get(TARGETS[s].dlq) ?? new Map(),
    })),
    onFailure: {
      type: "s3",
      client: s3,
      bucket: config.archive.bucket,
      prefix: `${onFailurePrefix}/aws/lambda/${mappingUuid(groupId)}/`,
    },
  });
  const ids = produced.map((p) => sourceId(p.topic, p.partition, p.offset));
  const result = reconcile(ids, placements);
  const bySource = groupBy(placements, (p) => p.source);
  const archive = await archiveObjects(s3, config.archive.bucket, placements);
  const unexpected = produced.filter(
    (p) => !landedAsExpected(p, bySource.get(sourceId(p.topic, p.partition, p.offset))),
  );

  const stats = run.stats;
  const deadLetters = uniqueBySource(placements.filter((p) => p.place === PLACES.deadLetter));
  const targets = uniqueBySource(placements.filter((p) => p.place === PLACES.target));
  const lines = [
    "",
    `Summary (seed ${seed})`,
    `  received        ${stats.polled} records in ${stats.invocations} invocations` +
      ` (${stats.partialResponses} partial responses, ${stats.functionErrors + stats.timeouts} failed invocations, ${stats.bisections} bisections)`,
    `  processed       ${result.found.target} -> ${describeCounts(countBy(targets, (p) => p.location))}`,
    `  dead-lettered   ${result.found["dead-letter"]} -> ${describeCounts(countBy(deadLetters, (p) => p.location))}`,
    `    by stage      ${describeCounts(countBy(deadLetters, (p) => p.stage ?? "?"))}`,
    `    S3 archive    ${archive.existing.length} objects in s3://${config.archive.bucket}/, e.g.`,
    ...archive.existing.slice(0, 3).map((key) => `                  ${key}`),
    `  retried         ${stats.redeliveredRecords} record deliveries repeated after transient failures`,
    `  function        ${inProcess ? "in process" : `${stats.runtime.coldStarts} cold starts, ${stats.runtime.timeouts} timeouts, ${stats.runtime.outOfMemory} out of memory, max memory used ${stats.runtime.maxMemoryUsedMb} MB of 512`}` +
      `, duration p50 ${stats.runtime.durationP50Ms} ms, p99 ${stats.runtime.durationP99Ms} ms`,
    `  on-failure      ${result.found["on-failure"]} records` +
      (run.onFailureLocations.length > 0
        ? ` -> ${run.onFailureLocations.join(", ")}`
        : ` (s3://${config.archive.bucket}/${onFailurePrefix}/)`),
    `  avro payments   ${describePayments(produced, bySource)}`,
    `  reconciled      ${result.produced - result.missing.length} of ${result.produced} found` +
      ` (target + dead-lettered + on-failure); missing ${result.missing.length}` +
      `; written more than once ${result.duplicated} (at-least-once: retried writes)`,
    "  examples:",
    ...examples(produced, bySource, new Set(archive.existing)),
  ];
  say(lines.join("\n"));

  if (!result.complete) {
    throw new DemoFailure(
      `${result.missing.length} records are missing, e.g. ${result.missing.slice(0, 5).join(", ")}`,
    );
  }
  if (unexpected.length > 0) {
    const first = unexpected[0] as ProducedSample;
    throw new DemoFailure(
      `${unexpected.length} records did not land where their kind says, e.g. ${first.sample.kind} record ` +
        `${sourceId(first.topic, first.partition, first.offset)}: ${JSON.stringify(bySource.get(sourceId(first.topic, first.partition, first.offset)) ?? "nowhere")}`,
    );
  }
  if (archive.missing.length > 0 && archive.existing.length === 0) {
    throw new DemoFailure("no dead-letter archive object exists in S3");
  }
  say("[demo] OK: every record is accounted for");
  s3.destroy();
}

/** The payments topics, and both schema versions registered (the ids the samples name). */
async function preparePayments(kafka: Kafka, registryUrl: string): Promise<PaymentSchemaIds> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { payments } = SAMPLE_STREAMS;
    await ensureTopics(
      admin,
      [payments, TARGETS[payments].target, TARGETS[payments].dlq].map((t) => topicSpec(t)),
    );
  } finally {
    await admin.disconnect();
  }
  try {
    const subject = `${SAMPLE_STREAMS.payments}-value`;
    return {
      v1: await registerSchema(registryUrl, subject, "AVRO", PAYMENT_SCHEMA_V1),
      v2: await registerSchema(registryUrl, subject, "AVRO", PAYMENT_SCHEMA_V2),
    };
  } catch (error) {
    throw new DemoFailure(
      `the schema registry at ${registryUrl} is not reachable (${String(error)}); is the stack up (npm run stack:up)?`,
    );
  }
}

/** Where the Avro records went: target, or dead letters by stage. */
function describePayments(produced: readonly ProducedSample[], bySource: Map<string, Placement[]>): string {
  const mine = produced.filter((p) => p.sample.stream === SAMPLE_STREAMS.payments);
  const places = mine.map((p) => bySource.get(sourceId(p.topic, p.partition, p.offset))?.[0]);
  const target = places.filter((p) => p?.place === PLACES.target).length;
  const dead = places.filter((p) => p?.place === PLACES.deadLetter);
  return (
    `${mine.length} records (Confluent wire format, schema v1 and v2) -> ${TARGETS[SAMPLE_STREAMS.payments].target} ${target}` +
    `, ${TARGETS[SAMPLE_STREAMS.payments].dlq} ${dead.length} (${describeCounts(countBy(dead, (p) => p?.stage ?? "?"))})`
  );
}

function readOptions(): { seed: number; count: number; outageMs: number; inProcess: boolean } {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      seed: { type: "string" },
      count: { type: "string" },
      "outage-ms": { type: "string" },
      "in-process": { type: "boolean" },
    },
  });
  const int = (name: string, raw: string | undefined, fallback: number, min: number): number => {
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min)
      throw new DemoFailure(`--${name} must be an integer of at least ${min}, got "${raw}"`);
    return Number(raw);
  };
  return {
    seed: int("seed", values.seed ?? process.env.DEMO_SEED, 42, 0),
    count: int("count", values.count, 400, 1),
    outageMs: int("outage-ms", values["outage-ms"], 5_000, 0),
    inProcess: values["in-process"] === true,
  };
}

/** The processor imported here, its configuration read from this process's environment. */
async function inProcessHandler(environment: Record<string, string>): Promise<KafkaLambdaHandler> {
  Object.assign(process.env, environment);
  return loadHandler(HANDLER);
}

/** Good records in the target topic only; bad ones as dead letters of their expected stage only. */
function landedAsExpected(produced: ProducedSample, placements: readonly Placement[] | undefined): boolean {
  if (placements === undefined || placements.length === 0) return false;
  const expected = produced.sample.expectedStage;
  if (expected === undefined) return placements.every((p) => p.place === PLACES.target);
  return placements.every((p) => p.place === PLACES.deadLetter && p.stage === expected);
}

function examples(
  produced: readonly ProducedSample[],
  bySource: Map<string, Placement[]>,
  archived: ReadonlySet<string>,
): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const p of produced) {
    const label = `${p.sample.stream}/${p.sample.kind}`;
    if (seen.has(label)) continue;
    seen.add(label);
    const found = bySource.get(sourceId(p.topic, p.partition, p.offset)) ?? [];
    // A dead letter written again after a failed archive write names the object that exists.
    const where = found.find((f) => f.archiveKey !== undefined && archived.has(f.archiveKey)) ?? found[0];
    const destination =
      where === undefined
        ? "NOT FOUND"
        : where.place === PLACES.deadLetter
          ? `${where.location} (stage ${where.stage}), archived ${where.archiveKey}`
          : where.location;
    lines.push(
      `    ${label.padEnd(30)} ${sourceId(p.topic, p.partition, p.offset).padEnd(20)} -> ${destination}`,
    );
  }
  return lines;
}

/** Archive keys named by the dead letters, split by whether the object exists. */
async function archiveObjects(
  s3: S3Client,
  bucket: string,
  placements: readonly Placement[],
): Promise<{ existing: string[]; missing: string[] }> {
  const keys = [...new Set(placements.flatMap((p) => (p.archiveKey === undefined ? [] : [p.archiveKey])))];
  const existing: string[] = [];
  const missing: string[] = [];
  for (const key of keys) {
    const found = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
      () => true,
      () => false,
    );
    (found ? existing : missing).push(key);
  }
  return { existing, missing };
}

function uniqueBySource(placements: readonly Placement[]): Placement[] {
  return [...new Map(placements.map((p) => [p.source, p])).values()];
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

function describeCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  return entries.length === 0 ? "none" : entries.map(([k, n]) => `${k} ${n}`).join(", ");
}

main().then(
  () => {
    // The function's producer stays connected, as in a Lambda container; the demo is done.
    setTimeout(() => process.exit(0), 200).unref();
  },
  (error: unknown) => {
    const message = error instanceof DemoFailure ? error.message : `unexpected error: ${String(error)}`;
    console.error(`[demo] FAILED: ${message}`);
    if (!(error instanceof DemoFailure) && process.env.DEMO_DEBUG === "1") console.error(error);
    setTimeout(() => process.exit(1), 200).unref();
    process.exitCode = 1;
  },
);
