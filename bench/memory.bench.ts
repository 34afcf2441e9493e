/**
 * Memory and CPU of the deployed processor bundle on a full batch (issue 11): a batch just under
 * Lambda's 6 MB payload of small (~500 B) and of large (~1.7 KB) employee records, 1% of them
 * schema-invalid (DLQ topic, S3, DynamoDB index), in fresh processes with Lambda's heap flags for
 * each memory size. Each process runs two such batches (the first on a new container, the second
 * warm): Max Memory Used is the process's peak, CPU time that of the warm batch. From these, the
 * estimated Lambda cost per million records at 512, 1,024 and 1,769 MB (`lambdaCost.ts`).
 */
import { startStack } from "../stack/stack";
import type { Benchmark } from "./benchmark";
import { buildBundle, eventBytes, kafkaEvent, median, mib, runBundle } from "./bundleRuns";
import { CONSTRUCT_MEMORY_MB, costPerMillionRecords, LAMBDA_MEMORY_SIZES } from "./lambdaCost";

const PAYLOAD_LIMIT = 6 * 1024 * 1024;
const SHAPES = [
  { name: "small", valueBytes: 500 },
  { name: "large", valueBytes: 1_700 },
] as const;

export const benchmark: Benchmark = async (context) => {
  await startStack({ log: (line) => context.log(line) });
  const samples = Math.max(3, Math.round(10 * context.scale));
  const bundle = await buildBundle("functions/processor/handler.ts", "memory");
  let nextOffset = Date.now() * 4;
  const fullBatch = (valueBytes: number) => {
    // As many records as fit under the payload limit (Lambda's limit is 10,000 records a batch).
    const perRecord =
      eventBytes(
        kafkaEvent({ topic: "employees", count: 30, valueBytes, valid: () => true, firstOffset: 0 }),
      ) / 30;
    const count = Math.min(10_000, Math.floor((PAYLOAD_LIMIT - 64 * 1024) / perRecord));
    const event = kafkaEvent({
      topic: "employees",
      count,
      valueBytes,
      valid: (n) => n % 100 !== 99,
      firstOffset: nextOffset,
    });
    nextOffset += count;
    return { event, count };
  };

  const lines: string[] = [
    `${samples} fresh processes per shape and memory size, medians; 1% of records dead-lettered, index on`,
  ];
  const peaks = new Map<string, number>();
  const rows: string[] = [];
  for (const shape of SHAPES) {
    for (const memorySizeMb of LAMBDA_MEMORY_SIZES) {
      const peak: number[] = [];
      const cpu: number[] = [];
      const wall: number[] = [];
      let records = 0;
      let bytes = 0;
      for (let i = 0; i < samples; i += 1) {
        const first = fullBatch(shape.valueBytes);
        const second = fullBatch(shape.valueBytes);
        records = second.count;
        bytes = eventBytes(second.event);
        const run = await runBundle(bundle, [first.event, second.event], { memorySizeMb });
        const warm = run.invocations[1];
        if (warm === undefined || run.invocations.some((r) => r.failures > 0)) {
          throw new Error(`a ${shape.name} batch at ${memorySizeMb} MB reported partitions for retry`);
        }
        peak.push(mib(Math.max(...run.invocations.map((r) => r.maxRssKb))));
        cpu.push(warm.cpuMs);
        wall.push(warm.ms);
      }
      peaks.set(`${shape.name}@${memorySizeMb}`, median(peak));
      const cost = costPerMillionRecords({ memorySizeMb, cpuMs: median(cpu), records });
      const waitMs = Math.max(0, median(wall) - median(cpu));
      const withWait = costPerMillionRecords({ memorySizeMb, cpuMs: median(cpu), records, waitMs });
      context.log(
        `${shape.name} at ${memorySizeMb} MB: peak ${median(peak)} MiB, CPU ${median(cpu).toFixed(0)} ms`,
      );
      rows.push(
        `| ${shape.name} (${records} × ~${shape.valueBytes} B, ${(bytes / 1_048_576).toFixed(2)} MiB) | ${memorySizeMb} | ${median(peak)} | ${median(cpu).toFixed(0)} | ${median(wall).toFixed(0)} | ${cost.durationMs.toFixed(0)} | $${cost.dollars.toFixed(4)} | $${withWait.dollars.toFixed(4)} |`,
      );
    }
  }
  lines.push(
    "| batch | memory (MB) | Max Memory Used (MiB) | CPU per batch here (ms) | wall here (ms) | est. Lambda duration, CPU only (ms) | est. cost per 1M records, CPU only | with the I/O wait seen here |",
    "|---|---|---|---|---|---|---|---|",
    ...rows,
  );
  const peakAtDefault = Math.max(
    ...SHAPES.map((s) => peaks.get(`${s.name}@${CONSTRUCT_MEMORY_MB}`) ?? Number.NaN),
  );
  return {
    lines,
    ratios: [
      {
        measure: `peak memory of the deployed bundle on a full batch vs the default memory size (${CONSTRUCT_MEMORY_MB} MB)`,
        ratio: peakAtDefault / CONSTRUCT_MEMORY_MB,
        goal: { atMost: 0.5 },
        detail: `${peakAtDefault} MiB Max Memory Used at ${CONSTRUCT_MEMORY_MB} MB heap flags (the larger of small and large records; medians of ${samples})`,
      },
    ],
  };
};
