/**
 * A dead-letter storm on the deployed bundle against the local stack (issue 11): a batch of 3,000
 * schema-invalid records (DLQ topic, S3 archive, DynamoDB index on) against a batch of 3,000 good
 * records of the same size, first delivery and redelivery of the same batch. One process runs the
 * bundle (a warm container, after one small mixed batch that loads the dead-letter path), with the
 * batches alternating so a neighbour's burst hits both; each figure is a median.
 */
import { startStack } from "../stack/stack";
import type { Benchmark } from "./benchmark";
import { buildBundle, eventBytes, kafkaEvent, median, mib, runBundle } from "./bundleRuns";

const TOPIC = "employees";
const VALUE_BYTES = 500;
const ROUNDS = 3;
const MEMORY_MB = 512;

export const benchmark: Benchmark = async (context) => {
  await startStack({ log: (line) => context.log(line) });
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
    memorySizeMb: MEMORY_MB,
    environment: { DEAD_LETTER_INDEX: "true" },
  });
  // The same storm with the index off: how much of it is the index (DynamoDB Local) and how much
  // the DLQ topic, the archive and the function's own work.
  const withoutIndex = await runBundle(bundle, [warmup, batch(true), batch(false)], {
    memorySizeMb: MEMORY_MB,
    environment: { DEAD_LETTER_INDEX: "false" },
  });
  const of = (slot: number) => run.invocations.slice(1).filter((_, i) => i % 3 === slot);
  const [good, first, again] = [of(0), of(1), of(2)];
  const retried = [...good, ...first, ...again].reduce((sum, r) => sum + r.failures, 0);
  if (retried > 0)
    throw new Error(`${retried} partitions were reported for retry; the run is not comparable`);
  const ms = (reports: typeof good) => median(reports.map((r) => r.ms));
  const cpu = (reports: typeof good) => median(reports.map((r) => r.cpuMs));
  const firstRatio = ms(first) / ms(good);
  const againRatio = ms(again) / ms(good);
  const peak = mib(Math.max(...run.invocations.map((r) => r.maxRssKb)));
  return {
    lines: [
      `${count} records of ~${VALUE_BYTES} B per batch, index on (DynamoDB Local), deployed bundle, ${MEMORY_MB} MB heap flags, medians of ${ROUNDS}`,
      `good batch: ${ms(good).toFixed(0)} ms (CPU ${cpu(good).toFixed(0)} ms)`,
      `all dead letters, first delivery: ${ms(first).toFixed(0)} ms (CPU ${cpu(first).toFixed(0)} ms), ratio ${firstRatio.toFixed(2)}`,
      `all dead letters, redelivery: ${ms(again).toFixed(0)} ms (CPU ${cpu(again).toFixed(0)} ms), ratio ${againRatio.toFixed(2)}`,
      `index off (DEAD_LETTER_INDEX=false), one run: good ${withoutIndex.invocations[1]?.ms.toFixed(0)} ms, all dead letters ${withoutIndex.invocations[2]?.ms.toFixed(0)} ms (CPU ${withoutIndex.invocations[2]?.cpuMs.toFixed(0)} ms)`,
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
    ],
  };
};
