/**
 * The two paths the emulator benchmark times from the first fetched record to the last acknowledged
 * write: a plain kafkajs consume-then-produce loop, and the emulator running a function.
 */
import type { Admin, Kafka } from "kafkajs";
import { consumerLag } from "../emulator/consumerLag";
import { EventSourceMappingEmulator, type SandboxOptions } from "../emulator/EventSourceMappingEmulator";
import { silentEmulatorLogger } from "../emulator/logger";
import { endOffsets } from "../emulator/reconcile/readTopic";
import { resolveMappingSettings } from "../emulator/settings";
import type { KafkaLambdaHandler } from "../emulator/types";
import { DEFAULT_PARTITIONS } from "../stack/topology";
import type { InvocationFigures } from "./emulatorBreakdown";

export const SOURCE = "employees";
export const BATCH_SIZE = 5_000;
const PATH_LIMIT_MS = 90_000;

export interface PathResult {
  readonly recordsPerSecond: number;
  readonly elapsedMs: number;
  /** CPU time of this process (every thread) over the same span; a sandbox's children not included. */
  readonly cpuMs: number;
  readonly lag: number;
  readonly written: number;
  /** The sandboxes' REPORT figures, for the sandboxed path. */
  readonly runtime?: string;
  /** Time inside the in-process function and how many invocations overlapped. */
  readonly inside?: InvocationFigures;
}

/**
 * The baseline: what any Kafka consumer does at the least, copying each fetched batch to the target
 * with the same acks (all) and committing after each batch. Timed from the first fetched record to
 * the last acknowledged write, like the emulated path.
 */
export async function consumeThenProduce(
  kafka: Kafka,
  admin: Admin,
  start: ReadonlyMap<number, number>,
  target: string,
  count: number,
  groupId: string,
): Promise<PathResult> {
  const already = sum([...(await endOffsets(kafka, target)).values()]);
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250 });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic: SOURCE, fromBeginning: false });
  consumer.on(consumer.events.GROUP_JOIN, () => {
    for (const [partition, offset] of start)
      consumer.seek({ topic: SOURCE, partition, offset: String(offset) });
  });
  let first: number | undefined;
  let last = 0;
  let copied = 0;
  let cpuAtFirst: NodeJS.CpuUsage | undefined;
  let cpuUsed: NodeJS.CpuUsage = { user: 0, system: 0 };
  try {
    await withLimit(
      new Promise<void>((resolve, reject) => {
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch, resolveOffset }) => {
              const from = start.get(batch.partition) ?? 0;
              const messages = batch.messages.filter((m) => Number(m.offset) >= from);
              if (messages.length === 0) return;
              first ??= Date.now();
              cpuAtFirst ??= process.cpuUsage();
              await producer.send({
                topic: target,
                acks: -1,
                messages: messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers ?? {} })),
              });
              const next = String(Number(batch.lastOffset()) + 1);
              resolveOffset(batch.lastOffset());
              await consumer.commitOffsets([{ topic: SOURCE, partition: batch.partition, offset: next }]);
              copied += messages.length;
              if (copied >= count) {
                last = Date.now();
                cpuUsed = process.cpuUsage(cpuAtFirst);
                resolve();
              }
            },
          })
          .catch(reject);
      }),
      "the consume-then-produce loop",
    );
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }
  const elapsedMs = last - (first ?? last);
  return {
    elapsedMs,
    cpuMs: (cpuUsed.user + cpuUsed.system) / 1000,
    recordsPerSecond: (copied / elapsedMs) * 1000,
    lag: sum((await consumerLag(admin, groupId, [SOURCE])).map((p) => p.lag)),
    written: sum([...(await endOffsets(kafka, target)).values()]) - already,
  };
}

export async function throughEmulator(
  kafka: Kafka,
  admin: Admin,
  brokers: readonly string[],
  start: ReadonlyMap<number, number>,
  count: number,
  groupId: string,
  target: string,
  fn: { handler: KafkaLambdaHandler } | { sandbox: SandboxOptions },
): Promise<PathResult> {
  const already = sum([...(await endOffsets(kafka, target)).values()]);
  let first: number | undefined;
  let last = 0;
  let cpuAtFirst: NodeJS.CpuUsage | undefined;
  let cpuUsed: NodeJS.CpuUsage = { user: 0, system: 0 };
  const emulator: EventSourceMappingEmulator = new EventSourceMappingEmulator({
    ...fn,
    connection: { brokers, ssl: false, sasl: undefined, clientId: "bench-emulator" },
    settings: resolveMappingSettings({
      topics: [SOURCE],
      groupId,
      startingPosition: "LATEST",
      batchSize: BATCH_SIZE,
      timeoutS: 60,
      // Lambda runs up to one invocation per partition at once; so does the emulator here.
      concurrency: DEFAULT_PARTITIONS,
      // Headroom for a 5,000-record batch, so the memory limit is not what is measured.
      memorySizeMb: 2048,
    }),
    initialOffsets: [...start].map(([partition, offset]) => ({ topic: SOURCE, partition, offset })),
    logger: silentEmulatorLogger,
    onProgress: (stats) => {
      if (first === undefined && stats.polled > 0) {
        first = Date.now();
        cpuAtFirst = process.cpuUsage();
      }
      if (
        last === 0 &&
        stats.succeeded + stats.partialResponses > 0 &&
        stats.polled >= count &&
        stats.outstanding === 0
      ) {
        last = Date.now();
        cpuUsed = process.cpuUsage(cpuAtFirst);
        emulator.stop();
      }
    },
  });
  const result = await withLimit(emulator.run(), "the emulated path");
  if (result.stats.outstanding > 0 || last === 0)
    throw new Error(`the emulated path stopped early: ${JSON.stringify(result.stats)}`);
  const elapsedMs = last - (first ?? last);
  const r = result.stats.runtime;
  return {
    elapsedMs,
    cpuMs: (cpuUsed.user + cpuUsed.system) / 1000,
    recordsPerSecond: (count / elapsedMs) * 1000,
    lag: sum((await consumerLag(admin, groupId, [SOURCE])).map((p) => p.lag)),
    written: sum([...(await endOffsets(kafka, target)).values()]) - already,
    runtime:
      `invocation p50 ${r.durationP50Ms.toFixed(0)} ms, p99 ${r.durationP99Ms.toFixed(0)} ms` +
      ("sandbox" in fn ? `, ${r.coldStarts} cold starts, max memory ${r.maxMemoryUsedMb} MB` : ""),
  };
}

async function withLimit<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not finish within ${PATH_LIMIT_MS / 1000} s`)),
      PATH_LIMIT_MS,
    );
  });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

export function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
