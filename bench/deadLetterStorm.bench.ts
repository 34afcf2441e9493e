/**
 * A dead-letter storm on the deployed bundle against the local stack (issue 11): a batch of 3,000
 * schema-invalid records (DLQ topic, S3 archive, DynamoDB index on) against a batch of 3,000 good
 * records of the same size, first delivery and redelivery of the same batch. One process runs the
 * bundle (a warm container, after one small mixed batch that loads the dead-letter path), with the
 * batches alternating so a neighbour's burst hits both; each figure is a median.
 */
import { DeleteTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { deadLetterItem, deadLetterKey } from "../functions/lib/adapters/deadLetterItem";
import { batchGetAll, batchWriteAll } from "../functions/lib/adapters/dynamoBatch";
import { withoutRequestLogging } from "../functions/lib/adapters/sdkRequestLogging";
import { loadConfig } from "../functions/lib/config";
import { dynamoClientConfig } from "../functions/lib/lambda/createProcessor";
import { ensureTables } from "../stack/provision";
import { startStack } from "../stack/stack";
import { deadLetterTable } from "../stack/topology";
import type { BenchContext, Benchmark, BenchReport } from "./benchmark";
import { buildBundle, eventBytes, kafkaEvent, median, mib, runBundle } from "./bundleRuns";
import { CONSTRUCT_MEMORY_MB } from "./lambdaCost";

const TOPIC = "employees";
const VALUE_BYTES = 500;
/** Five: the good batch's time varies by a factor of two between rounds on the shared machine. */
const ROUNDS = 5;
const PARTITIONS = 3;

/**
 * The index's requests of a first delivery alone, from this process straight to DynamoDB Local:
 * per partition (all three at once, as the handler writes them) a batch read of each letter's two
 * keys, then a batch write of its item. What the storm cannot go below on DynamoDB Local, whatever
 * the function does.
 */
async function indexRequestsAlone(
  count: number,
  table: string,
): Promise<{ readMs: number; writeMs: number }> {
  const config = loadConfig();
  const client = withoutRequestLogging(new DynamoDBClient(dynamoClientConfig(config)), undefined);
  const base = Date.now() * 4;
  const failedAt = new Date().toISOString();
  const letters = (partition: number) =>
    Array.from({ length: Math.ceil(count / PARTITIONS) }, (_, line) => {
      const offset = base + line;
      return {
        id: `${TOPIC}-alone:${partition}:${offset}@bench`,
        legacyId: `${TOPIC}-alone:${partition}:${offset}`,
        item: deadLetterItem(
          {
            id: `${TOPIC}-alone:${partition}:${offset}@bench`,
            topic: `${TOPIC}-alone`,
            partition,
            offset,
            timestamp: offset,
            stage: "validate",
            errorClass: "SchemaViolationError",
            errorMessage: "age: Too small: expected number to be >0",
            failedAt,
            day: failedAt.slice(0, 10),
            attempts: 1,
            archiveBucket: config.archive.bucket,
            archiveKey: `dead-letters/topic=${TOPIC}-alone/${TOPIC}-alone-${partition}-${base}.jsonl.gz`,
            archiveLine: line,
            dlqTopic: `${TOPIC}.dlq`,
            dlqPartition: partition,
            dlqOffset: offset,
            status: "new",
            redriveCount: 0,
            functionName: "bench",
            requestId: "bench",
            cluster: "bench",
          },
          Math.floor(Date.now() / 1000) + 86_400,
        ),
      };
    });
  const partitions = Array.from({ length: PARTITIONS }, (_, p) => letters(p));
  try {
    let started = performance.now();
    await Promise.all(
      partitions.map((list) =>
        batchGetAll(
          client,
          table,
          list.flatMap((l) => [deadLetterKey(l.id), deadLetterKey(l.legacyId)]),
          "pk",
        ),
      ),
    );
    const readMs = performance.now() - started;
    started = performance.now();
    await Promise.all(
      partitions.map((list) =>
        batchWriteAll(
          client,
          table,
          list.map((l) => ({ PutRequest: { Item: l.item } })),
        ),
      ),
    );
    return { readMs, writeMs: performance.now() - started };
  } finally {
    client.destroy();
  }
}

/**
 * A dead-letter table of the run's own, deleted at its end. A run writes about 33,000 index items,
 * and DynamoDB Local (in memory, `-sharedDb`) keeps every one until it stops: in the shared table
 * its resident memory grew with every run (187 to 566 MB after one). With a table per run it stays
 * put (668 and 670 MB after two runs in a row), and every run starts from an empty table.
 */
async function withRunTable<T>(use: (table: string) => Promise<T>): Promise<T> {
  const client = new DynamoDBClient(dynamoClientConfig(loadConfig()));
  const table = `bench-storm-${Date.now().toString(36)}`;
  try {
    await ensureTables(client, [deadLetterTable(table)]);
    return await use(table);
  } finally {
    await client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
    client.destroy();
  }
}

export const benchmark: Benchmark = async (context) => {
  await startStack({ log: (line) => context.log(line) });
  return withRunTable((table) => storm(context, table));
};

async function storm(context: BenchContext, table: string): Promise<BenchReport> {
  const count = Math.max(100, Math.round(3_000 * context.scale));
  const bundle = await buildBundle("functions/processor/handler.ts", "storm");
  // Offsets no earlier run used: a storm at old offsets would be a redelivery.
  let nextOffset = Date.now() * 4;
  const batch = (valid: boolean) => {
    const event = kafkaEvent({
      topic: TOPIC,
      count,
      valueBytes: VALUE_BYTES,
      valid: () => valid,
      firstOffset: nextOffset,
    });
    nextOffset += count;
    return event;
  };
  const warmup = kafkaEvent({
    topic: TOPIC,
    count: 2,
    valueBytes: VALUE_BYTES,
    valid: (n) => n === 0,
    firstOffset: nextOffset,
  });
  nextOffset += 2;
  const events = [warmup];
  for (let round = 0; round < ROUNDS; round += 1) {
    const storm = batch(false);
    events.push(batch(true), storm, storm);
  }
  context.log(
    `${ROUNDS} rounds of ${count} good, ${count} invalid, the invalid again (${eventBytes(events[1] ?? warmup)} bytes each)`,
  );
  const run = await runBundle(bundle, events, {
    memorySizeMb: CONSTRUCT_MEMORY_MB,
    environment: { DEAD_LETTER_INDEX: "true", DEAD_LETTER_TABLE: table },
  });
  // The same rounds (new offsets) with the second producer, which encodes the DLQ copies' headers
  // at a fraction of kafkajs's cost: what a function that opts into it pays for a storm.
  const platformaticEvents = [warmup];
  for (let round = 0; round < ROUNDS; round += 1) {
    const storm = batch(false);
    platformaticEvents.push(batch(true), storm, storm);
  }
  const platformatic = await runBundle(bundle, platformaticEvents, {
    memorySizeMb: CONSTRUCT_MEMORY_MB,
    environment: { DEAD_LETTER_INDEX: "true", DEAD_LETTER_TABLE: table, KAFKA_PRODUCER: "platformatic" },
  });
  // The same storm with the index off: how much of it is the index (DynamoDB Local) and how much
  // the DLQ topic, the archive and the function's own work.
  const withoutIndex = await runBundle(bundle, [warmup, batch(true), batch(false)], {
    memorySizeMb: CONSTRUCT_MEMORY_MB,
    environment: { DEAD_LETTER_INDEX: "false", DEAD_LETTER_TABLE: table },
  });
  const alone = await indexRequestsAlone(count, table);
  const of = (slot: number, from = run) => from.invocations.slice(1).filter((_, i) => i % 3 === slot);
  const [good, first, again] = [of(0), of(1), of(2)];
  const [pGood, pFirst, pAgain] = [of(0, platformatic), of(1, platformatic), of(2, platformatic)];
  const retried = [...good, ...first, ...again, ...pGood, ...pFirst, ...pAgain].reduce(
    (sum, r) => sum + r.failures,
    0,
  );
  if (retried > 0)
    throw new Error(`${retried} partitions were reported for retry; the run is not comparable`);
  const ms = (reports: typeof good) => median(reports.map((r) => r.ms));
  const cpu = (reports: typeof good) => median(reports.map((r) => r.cpuMs));
  const firstRatio = ms(first) / ms(good);
  const againRatio = ms(again) / ms(good);
  const pFirstRatio = ms(pFirst) / ms(pGood);
  const pAgainRatio = ms(pAgain) / ms(pGood);
  const peak = mib(Math.max(...run.invocations.map((r) => r.maxRssKb)));
  return {
    lines: [
      `${count} records of ~${VALUE_BYTES} B per batch, index on (DynamoDB Local), deployed bundle, ${CONSTRUCT_MEMORY_MB} MB heap flags, medians of ${ROUNDS}`,
      `good batch: ${ms(good).toFixed(0)} ms (CPU ${cpu(good).toFixed(0)} ms)`,
      `all dead letters, first delivery: ${ms(first).toFixed(0)} ms (CPU ${cpu(first).toFixed(0)} ms), ratio ${firstRatio.toFixed(2)}`,
      `all dead letters, redelivery: ${ms(again).toFixed(0)} ms (CPU ${cpu(again).toFixed(0)} ms), ratio ${againRatio.toFixed(2)}`,
      `CPU ratios: first delivery ${(cpu(first) / cpu(good)).toFixed(2)}, redelivery ${(cpu(again) / cpu(good)).toFixed(2)}`,
      `the first delivery's index requests alone against DynamoDB Local (${2 * count} keys read, ${count} items written, ${PARTITIONS} partitions at once): read ${alone.readMs.toFixed(0)} ms, write ${alone.writeMs.toFixed(0)} ms`,
      `index off (DEAD_LETTER_INDEX=false), one run: good ${withoutIndex.invocations[1]?.ms.toFixed(0)} ms, all dead letters ${withoutIndex.invocations[2]?.ms.toFixed(0)} ms (CPU ${withoutIndex.invocations[2]?.cpuMs.toFixed(0)} ms)`,
      `KAFKA_PRODUCER=platformatic: good ${ms(pGood).toFixed(0)} ms (CPU ${cpu(pGood).toFixed(0)} ms), first delivery ${ms(pFirst).toFixed(0)} ms (CPU ${cpu(pFirst).toFixed(0)} ms), ratio ${pFirstRatio.toFixed(2)}; redelivery ${ms(pAgain).toFixed(0)} ms (CPU ${cpu(pAgain).toFixed(0)} ms), ratio ${pAgainRatio.toFixed(2)}`,
      `peak memory of the process: ${peak} MiB`,
    ],
    ratios: [
      {
        measure: "dead-letter storm vs good batch, first delivery (time, index on)",
        ratio: firstRatio,
        goal: { atMost: 2 },
        detail: `${ms(first).toFixed(0)} ms vs ${ms(good).toFixed(0)} ms for ${count} records (medians of ${ROUNDS})`,
      },
      {
        measure: "dead-letter storm vs good batch, redelivery (time, index on)",
        ratio: againRatio,
        goal: { atMost: 2 },
        detail: `${ms(again).toFixed(0)} ms vs ${ms(good).toFixed(0)} ms for ${count} records (medians of ${ROUNDS})`,
      },
      {
        measure: "dead-letter storm vs good batch, redelivery, KAFKA_PRODUCER=platformatic (time, index on)",
        ratio: pAgainRatio,
        goal: { atMost: 2 },
        detail: `${ms(pAgain).toFixed(0)} ms vs ${ms(pGood).toFixed(0)} ms for ${count} records (medians of ${ROUNDS}); first delivery ${pFirstRatio.toFixed(2)}`,
      },
    ],
  };
}
