/**
 * The review's wrong outcomes (issue 9 items 2, 4, 5, 7, 13, 14, 15, 16), each as it was reported,
 * against the processor with in-memory sinks on a controllable clock.
 */
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { ProduceRejectedError, RetryLaterError, TransientError } from "../../../functions/lib/core/errors";
import { DEAD_LETTER_HEADERS } from "../../../functions/lib/core/headers";
import {
  KafkaBatchProcessor,
  type KafkaBatchProcessorOptions,
} from "../../../functions/lib/core/KafkaBatchProcessor";
import { definePipeline } from "../../../functions/lib/core/pipeline";
import type { DeliveryReceipt } from "../../../functions/lib/core/ports";
import { clusterIdentity, recordId } from "../../../functions/lib/core/recordIdentity";
import type { KafkaEvent, OutgoingMessage, RecordOutcome } from "../../../functions/lib/core/types";
import { pipelines } from "../../../functions/processor/pipelines";
import { MemoryArchive, MemoryMessageSink } from "../../doubles/memorySinks";
import {
  MemoryAttemptLedger,
  MemoryDeadLetterIndex,
  MemoryProducedRecordStore,
} from "../../doubles/memoryStores";
import { buildEvent, lambdaContext } from "../../fixtures";

const valid = (offset: number, extra: Record<string, unknown> = {}) => ({
  topic: "employees",
  partition: 0,
  offset,
  value: { "Employee-Number": offset, name: "E", age: 30, ...extra },
});
const invalid = (offset: number, extra: Record<string, unknown> = {}) => ({
  topic: "employees",
  partition: 0,
  offset,
  value: { "Employee-Number": offset, name: "E", age: -1, ...extra },
});
const kinds = (outcomes: readonly RecordOutcome[]) =>
  outcomes.map((o) => (o.kind === "dead-lettered" ? o.stage : o.kind));
const sourceOffsets = (messages: readonly OutgoingMessage[]) =>
  messages.map((m) => Number(m.headers.find((h) => h.name === "x-lineage-source-offset")?.value.toString()));

/** A clock whose time only moves when a test (or a slow fake) moves it. */
function controlledClock(start = 1_763_800_100_000) {
  let now = start;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

function processorWith(options: Partial<KafkaBatchProcessorOptions>) {
  return new KafkaBatchProcessor({
    pipelines,
    sink: new MemoryMessageSink(),
    archive: new MemoryArchive(),
    ...controlledClock(),
    random: () => 1,
    ...options,
  });
}

/** A sink that refuses what a broker with `max.message.bytes` would refuse. */
class SizeLimitedSink extends MemoryMessageSink {
  sends: { topic: string; count: number }[] = [];

  constructor(
    private readonly limitBytes: number,
    private readonly topicLimited: (topic: string) => boolean = () => true,
  ) {
    super();
  }

  override async send(topic: string, messages: readonly OutgoingMessage[]): Promise<DeliveryReceipt[]> {
    this.sends.push({ topic, count: messages.length });
    const bytes = messages.reduce((sum, m) => sum + (m.value?.length ?? 0) + (m.key?.length ?? 0), 0);
    if (this.topicLimited(topic) && bytes > this.limitBytes) {
      throw new ProduceRejectedError(`broker rejected records for "${topic}": MESSAGE_TOO_LARGE`);
    }
    return super.send(topic, messages);
  }
}

describe("record identity includes the cluster and the timestamp (item 2)", () => {
  const clusterA = "arn:aws:kafka:us-east-1:111122223333:cluster/a/1";
  const clusterB = "arn:aws:kafka:us-east-1:111122223333:cluster/b/2";
  const onCluster = (event: KafkaEvent, arn: string): KafkaEvent => ({ ...event, eventSourceArn: arn });

  it("writes a re-created topic's record at reused coordinates instead of skipping it", async () => {
    const idempotency = new MemoryProducedRecordStore();
    const sink = new MemoryMessageSink();
    const processor = processorWith({ sink, idempotency });

    await processor.process(
      onCluster(buildEvent([{ ...valid(5), timestamp: 1_000 }]), clusterA),
      lambdaContext(),
    );
    await processor.process(
      onCluster(buildEvent([{ ...valid(5), timestamp: 2_000 }]), clusterA),
      lambdaContext(),
    );
    await processor.process(
      onCluster(buildEvent([{ ...valid(5), timestamp: 2_000 }]), clusterB),
      lambdaContext(),
    );
    await processor.process(
      onCluster(buildEvent([{ ...valid(5), timestamp: 2_000 }]), clusterB),
      lambdaContext(),
    );

    expect(sink.messages("employees.processed")).toHaveLength(3);
  });

  it("keys dead letters and the attempt ledger by the tagged id", async () => {
    const index = new MemoryDeadLetterIndex();
    const event = onCluster(buildEvent([{ ...invalid(5), timestamp: 1_000 }]), clusterA);

    await processorWith({ index }).process(event, lambdaContext());

    const expected = recordId(clusterIdentity(clusterA, undefined), {
      topic: "employees",
      partition: 0,
      offset: 5,
      timestamp: 1_000,
    });
    expect([...index.entries.keys()]).toEqual([expected]);
    expect(index.entries.get(expected)?.envelope.source).toMatchObject({ cluster: clusterA });
  });
});

describe("the attempt ledger counts only the record's own failures (item 4)", () => {
  it("does not dead-letter a valid record that only ever ran out of time behind slow dead letters", async () => {
    const clock = controlledClock();
    const ledger = new MemoryAttemptLedger();
    const archive = new MemoryArchive();
    // The dead letter's writes succeed, slowly: the archive and the DLQ send use up the time.
    const slowArchive = {
      put: async (key: string, envelopes: Parameters<MemoryArchive["put"]>[1]) => {
        clock.advance(27_000);
        await archive.put(key, envelopes);
      },
    };
    const sink = new MemoryMessageSink((topic) => {
      if (topic === "employees.dlq") clock.advance(2_000);
      return undefined;
    });
    const processor = processorWith({
      ...clock,
      sink,
      archive: slowArchive,
      attempts: { ledger, maxTransientFailures: 2 },
    });
    const event = buildEvent([invalid(1), valid(2)]);

    const results = [];
    for (let i = 0; i < 4; i += 1)
      results.push(kinds((await processor.process(event, lambdaContext(30_000))).outcomes));

    expect(results[0]).toEqual(["validate", "retry"]);
    expect(results.flat()).not.toContain("retries-exhausted");
    expect([...ledger.attempts.values()]).toEqual([]);
    expect(sink.messages("employees.processed")).toHaveLength(0);
  });
});

describe("ordered mode and broker rejections (item 5)", () => {
  it("lets nothing after a rejected record reach the target before its dead letter is durable", async () => {
    // Record 1 is too large for the target; its dead letter cannot be archived in this invocation.
    const sink = new SizeLimitedSink(5_000, (topic) => topic === "employees.processed");
    let archiveCalls = 0;
    const archive = new MemoryArchive(() => {
      archiveCalls += 1;
      return new TransientError("S3 unavailable");
    });
    const processor = processorWith({ sink, archive, deadlineSafetyMs: 59_000 });
    const event = buildEvent([
      valid(0),
      valid(1, { blob: "x".repeat(10_000) }),
      valid(2),
      valid(3),
      valid(4),
    ]);

    const result = await processor.process(event, lambdaContext(60_000));

    expect(archiveCalls).toBeGreaterThan(0);
    expect(sourceOffsets(sink.messages("employees.processed"))).toEqual([0]);
    expect(kinds(result.outcomes)).toEqual(["produced", "retry", "retry", "retry", "retry"]);
    expect(result.response.batchItemFailures).toEqual([
      { itemIdentifier: { partition: "employees-0", offset: 1 } },
    ]);
  });

  it("splits a batch that is too large for one request by size, not one record at a time", async () => {
    const sink = new SizeLimitedSink(1_000_000);
    const processor = processorWith({ sink });
    const event = buildEvent(Array.from({ length: 2_000 }, (_, i) => valid(i, { blob: "y".repeat(1_000) })));

    const result = await processor.process(event, lambdaContext());

    expect(kinds(result.outcomes).every((k) => k === "produced")).toBe(true);
    expect(sourceOffsets(sink.messages("employees.processed"))).toEqual(
      Array.from({ length: 2_000 }, (_, i) => i),
    );
    expect(sink.sends.length).toBeLessThan(10);
  });
});

describe("dead letters that do not fit one request (item 7)", () => {
  it("writes 100 dead letters of 12 KB in requests under the broker's limit", async () => {
    const sink = new SizeLimitedSink(1_000_000);
    const processor = processorWith({ sink });
    const event = buildEvent(Array.from({ length: 100 }, (_, i) => invalid(i, { blob: "z".repeat(12_000) })));

    const result = await processor.process(event, lambdaContext());

    expect(kinds(result.outcomes).every((k) => k === "validate")).toBe(true);
    expect(sink.messages("employees.dlq")).toHaveLength(100);
  });

  it("keeps a dead letter that can never fit the DLQ topic in the archive and the index, DLQ copy marked absent", async () => {
    const sink = new SizeLimitedSink(20_000, (topic) => topic === "employees.dlq");
    const archive = new MemoryArchive();
    const index = new MemoryDeadLetterIndex();
    const processor = processorWith({ sink, archive, index });
    const event = buildEvent([invalid(0), invalid(1, { blob: "w".repeat(30_000) }), invalid(2), valid(3)]);

    const result = await processor.process(event, lambdaContext());

    expect(kinds(result.outcomes)).toEqual(["validate", "validate", "validate", "produced"]);
    expect(sink.messages("employees.dlq")).toHaveLength(2);
    expect(archive.envelopes()).toHaveLength(3);
    const entries = [...index.entries.values()].sort(
      (a, b) => a.envelope.source.offset - b.envelope.source.offset,
    );
    expect(entries.map((e) => e.dlq === undefined)).toEqual([false, true, false]);
    expect(entries[1]?.dlqAbsentReason).toMatch(/MESSAGE_TOO_LARGE/);
    expect(result.stats.dlqCopiesAbsent).toBe(1);
  });
});

describe("a pipeline classifies its own errors (item 13)", () => {
  const lookupPipeline = (options: { classify?: (error: unknown) => "retry" | "dead-letter" } = {}) =>
    definePipeline({
      sourceTopic: "orders",
      targetTopic: "orders.out",
      schema: z.looseObject({ id: z.number() }),
      transform: async (order) => {
        if (order.id === 2) throw new RetryLaterError("price service unavailable");
        if (order.id === 3) throw new Error("ECONNRESET from the lookup");
        return order;
      },
      ...options,
    });
  const orders = buildEvent(
    [1, 2, 3].map((id) => ({ topic: "orders", partition: 0, offset: id, value: { id } })),
  );

  it("reports a RetryLaterError for retry instead of dead-lettering it", async () => {
    const processor = processorWith({ pipelines: [lookupPipeline()], ordered: false });

    const result = await processor.process(orders, lambdaContext());

    expect(kinds(result.outcomes)).toEqual(["produced", "retry", "transform"]);
    expect(result.outcomes[1]).toMatchObject({ errorClass: "RetryLaterError" });
  });

  it("lets classify(error, record) decide", async () => {
    const pipeline = lookupPipeline({
      classify: (error: unknown) => (String(error).includes("ECONNRESET") ? "retry" : "dead-letter"),
    });
    const processor = processorWith({ pipelines: [pipeline], ordered: false });

    const result = await processor.process(orders, lambdaContext());

    expect(kinds(result.outcomes)).toEqual(["produced", "transform", "retry"]);
  });
});

describe("a topic without a pipeline (item 14)", () => {
  const unknown = buildEvent(
    [0, 1].map((offset) => ({ topic: "payments", partition: 0, offset, value: {} })),
  );

  it("is reported for retry by default, not dead-lettered record by record", async () => {
    const sink = new MemoryMessageSink();
    const result = await processorWith({ sink }).process(unknown, lambdaContext());

    expect(kinds(result.outcomes)).toEqual(["retry", "retry"]);
    expect(result.outcomes[0]).toMatchObject({ errorClass: "UnroutableRecordError" });
    expect(sink.messages("payments.dlq")).toHaveLength(0);
  });

  it("is dead-lettered when the deployment says so", async () => {
    const result = await processorWith({ unroutable: "dead-letter" }).process(unknown, lambdaContext());

    expect(kinds(result.outcomes)).toEqual(["route", "route"]);
  });
});

describe("every external call is bounded by the deadline (item 15)", () => {
  const never = <T>() => new Promise<T>(() => undefined);
  const realTime = { now: Date.now, sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };

  it.each([
    ["idempotency store", { idempotency: { findProduced: never, markProduced: never } }],
    ["attempt ledger", { attempts: { ledger: { recordTransientFailure: never }, maxTransientFailures: 3 } }],
  ] as const)("a hung %s does not hold the invocation past its deadline", async (_name, options) => {
    const sink = new MemoryMessageSink((topic) =>
      topic === "employees.processed" && _name === "attempt ledger" ? new TransientError("down") : undefined,
    );
    const processor = processorWith({ ...realTime, sink, deadlineSafetyMs: 100, ...options });
    const started = Date.now();

    const result = await processor.process(buildEvent([valid(1)]), lambdaContext(400));

    expect(Date.now() - started).toBeLessThan(1_500);
    expect(result.outcomes).toHaveLength(1);
  });

  it("an async transform that never settles is reported for retry at the deadline", async () => {
    const hanging = definePipeline({
      sourceTopic: "slow",
      targetTopic: "slow.out",
      schema: z.unknown(),
      transform: () => never<unknown>(),
    });
    const processor = processorWith({ ...realTime, pipelines: [hanging], deadlineSafetyMs: 100 });
    const started = Date.now();

    const result = await processor.process(
      buildEvent([{ topic: "slow", partition: 0, offset: 0, value: {} }]),
      lambdaContext(400),
    );

    expect(Date.now() - started).toBeLessThan(1_500);
    expect(kinds(result.outcomes)).toEqual(["retry"]);
  });
});

describe("no repeated DLQ copies while the records before them fail (item 16)", () => {
  it("writes a dead letter only once the records before it are done", async () => {
    const sink = new MemoryMessageSink((topic) =>
      topic === "employees.processed" ? new TransientError("target down") : undefined,
    );
    const processor = processorWith({ sink, deadlineSafetyMs: 59_000 });
    const event = buildEvent([valid(0), invalid(1), valid(2), invalid(3)]);

    for (let i = 0; i < 4; i += 1) await processor.process(event, lambdaContext(60_000));

    expect(sink.messages("employees.dlq")).toHaveLength(0);
  });

  it("names each DLQ copy's record, so a consumer can recognise a copy written again", async () => {
    const sink = new MemoryMessageSink();
    await processorWith({ sink }).process(buildEvent([invalid(1)]), lambdaContext());

    const [message] = sink.messages("employees.dlq");
    const id = message?.headers.find((h) => h.name === DEAD_LETTER_HEADERS.recordId)?.value.toString();
    expect(id).toMatch(/^employees:0:1@[0-9a-f]{10}$/);
  });
});
