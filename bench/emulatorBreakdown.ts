/**
 * Where the emulated path's time goes, for the emulator benchmark: time inside the function
 * (instrumented handler), how many invocations ran at once, and the CPU cost of Lambda's event
 * format (base64 and JSON on the mapping's side, `JSON.parse` and base64 back on the function's),
 * which a consume→produce loop never pays and the real event source mapping always does.
 */
import type { KafkaMessage } from "kafkajs";
import { type EventEnvelope, serializeInvocationEvent, toPolledRecord } from "../emulator/eventBuilder";
import type { SampleRecord } from "../emulator/samples/sampleStream";
import type { KafkaLambdaHandler } from "../emulator/types";
import type { KafkaEvent } from "../functions/lib/core/types";

export interface InvocationFigures {
  readonly invocations: number;
  /** Sum of the invocations' durations: with one at a time, the share of the path spent in the function. */
  readonly insideMs: number;
  readonly maxConcurrent: number;
  /** Partitions of the largest batch's event. */
  readonly maxPartitionsPerBatch: number;
}

/** Wraps a handler to time its invocations; `take()` returns the figures since the last take. */
export function instrumentHandler(handler: KafkaLambdaHandler): {
  handler: KafkaLambdaHandler;
  take: () => InvocationFigures;
} {
  let figures = { invocations: 0, insideMs: 0, maxConcurrent: 0, maxPartitionsPerBatch: 0 };
  let running = 0;
  const timed: KafkaLambdaHandler = async (event, context) => {
    running += 1;
    figures.invocations += 1;
    figures.maxConcurrent = Math.max(figures.maxConcurrent, running);
    figures.maxPartitionsPerBatch = Math.max(
      figures.maxPartitionsPerBatch,
      Object.keys((event as KafkaEvent).records).length,
    );
    const started = performance.now();
    try {
      return await handler(event, context);
    } finally {
      figures.insideMs += performance.now() - started;
      running -= 1;
    }
  };
  return {
    handler: timed,
    take: () => {
      const taken = figures;
      figures = { invocations: 0, insideMs: 0, maxConcurrent: 0, maxPartitionsPerBatch: 0 };
      return taken;
    },
  };
}

export interface EventFormatCost {
  /** Converting fetched messages to event records and serializing each batch's event. */
  readonly mappingCpuMs: number;
  /** `JSON.parse` of each event and base64 back to bytes for every key, value and header. */
  readonly functionCpuMs: number;
  readonly eventBytes: number;
  /** Bytes of the keys, values and headers read back: the records themselves. */
  readonly decodedBytes: number;
}

/**
 * The CPU time of Lambda's event format for `samples`, in batches of `batchSize` over
 * `partitions` partitions, as the emulator builds it (`eventBuilder`) and a function reads it:
 * the median of `runs` passes after one warm-up.
 */
export function eventFormatCost(
  samples: readonly SampleRecord[],
  topic: string,
  partitions: number,
  batchSize: number,
  envelope: EventEnvelope,
  runs = 5,
): EventFormatCost {
  const messages: KafkaMessage[] = samples.map((sample, i) => ({
    key: Buffer.from(sample.key),
    value: sample.value,
    headers: { "sample-kind": Buffer.from(sample.kind) },
    offset: String(Math.floor(i / partitions)),
    timestamp: String(1_763_800_000_000 + i),
    attributes: 0,
  }));
  const once = () => {
    const cpu = process.cpuUsage();
    const jsons: string[] = [];
    for (let start = 0; start < messages.length; start += batchSize) {
      const records = messages
        .slice(start, start + batchSize)
        .map((m, i) => toPolledRecord(topic, (start + i) % partitions, m));
      jsons.push(serializeInvocationEvent(records, envelope));
    }
    const mapping = process.cpuUsage(cpu);
    const cpu2 = process.cpuUsage();
    let bytes = 0;
    for (const json of jsons) {
      const event = JSON.parse(json) as KafkaEvent;
      for (const records of Object.values(event.records)) {
        for (const record of records) {
          bytes +=
            Buffer.from(record.key ?? "", "base64").length + Buffer.from(record.value ?? "", "base64").length;
          for (const header of record.headers ?? [])
            for (const value of Object.values(header)) bytes += Buffer.from(value).length;
        }
      }
    }
    const fn = process.cpuUsage(cpu2);
    return {
      mappingCpuMs: (mapping.user + mapping.system) / 1000,
      functionCpuMs: (fn.user + fn.system) / 1000,
      eventBytes: jsons.reduce((sum, j) => sum + Buffer.byteLength(j), 0),
      decodedBytes: bytes,
    };
  };
  once();
  const results = Array.from({ length: runs }, once);
  const median = (pick: (r: EventFormatCost) => number) =>
    results.map(pick).sort((a, b) => a - b)[Math.floor(runs / 2)] ?? Number.NaN;
  return {
    mappingCpuMs: median((r) => r.mappingCpuMs),
    functionCpuMs: median((r) => r.functionCpuMs),
    eventBytes: results[0]?.eventBytes ?? 0,
    decodedBytes: results[0]?.decodedBytes ?? 0,
  };
}
