import { describe, expect, it } from "vitest";
import { createCanaryPipeline } from "../../../functions/lib/canary/canaryPipeline";
import {
  CANARY_KINDS,
  type CanaryKind,
  type CountedCanaryKind,
} from "../../../functions/lib/canary/canaryRecord";
import type { CanaryDeliveries } from "../../../functions/lib/canary/ports";
import { PipelineError, RetryLaterError, TransientError } from "../../../functions/lib/core/errors";
import { DEAD_LETTER_HEADERS } from "../../../functions/lib/core/headers";
import { KafkaBatchProcessor } from "../../../functions/lib/core/KafkaBatchProcessor";
import type { PreparedRecord } from "../../../functions/lib/core/pipeline";
import type { SourceRecord } from "../../../functions/lib/core/types";
import { fakeClock } from "../../doubles/fakeClock";
import { MemoryArchive, MemoryMessageSink } from "../../doubles/memorySinks";
import { MemoryAttemptLedger, MemoryDeadLetterIndex } from "../../doubles/memoryStores";
import { buildEvent, lambdaContext } from "../../fixtures";

const TOPIC = "shop-prod.canary";
const RUN = "c-lq2x9c-1a2b";

/** The DynamoDB counter in memory: shared by pipelines built in different "containers". */
class MemoryCanaryDeliveries implements CanaryDeliveries {
  readonly counts = new Map<string, number>();
  constructor(private readonly failure: () => Error | undefined = () => undefined) {}

  async count(runId: string, kind: CountedCanaryKind): Promise<number> {
    const error = this.failure();
    if (error !== undefined) throw error;
    const key = `${runId}/${kind}`;
    const next = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, next);
    return next;
  }
}

const value = (kind: CanaryKind) => ({ canary: RUN, kind, sentAt: "2026-12-01T10:00:00.000Z" });
const record = (kind: CanaryKind, offset = 7): SourceRecord => ({
  topic: TOPIC,
  partition: 0,
  offset,
  timestamp: 1_764_583_200_000,
  timestampType: "CREATE_TIME",
  key: Buffer.from(RUN),
  value: Buffer.from(JSON.stringify(value(kind))),
  headers: [],
});
const output = (prepared: PreparedRecord) =>
  prepared.ok
    ? (JSON.parse(prepared.value?.toString("utf8") ?? "null") as Record<string, unknown>)
    : undefined;

describe("the canary pipeline", () => {
  it("reads the canary topic and writes only to the canary's own target and DLQ topics", () => {
    const pipeline = createCanaryPipeline({ sourceTopic: TOPIC, deliveries: new MemoryCanaryDeliveries() });

    expect([pipeline.sourceTopic, pipeline.targetTopic, pipeline.dlqTopic]).toEqual([
      TOPIC,
      `${TOPIC}.out`,
      `${TOPIC}.dlq`,
    ]);
  });

  it("forwards a good record with its delivery number", async () => {
    const deliveries = new MemoryCanaryDeliveries();
    const pipeline = createCanaryPipeline({ sourceTopic: TOPIC, deliveries });

    const first = await pipeline.prepare(record(CANARY_KINDS.good));
    const again = await pipeline.prepare(record(CANARY_KINDS.good));

    expect(output(first)).toEqual({ ...value(CANARY_KINDS.good), delivery: 1 });
    expect(output(again)).toEqual({ ...value(CANARY_KINDS.good), delivery: 2 });
  });

  it("asks for a transient-once record again the first time, and forwards it on redelivery in a new container", async () => {
    const deliveries = new MemoryCanaryDeliveries();
    const coldStart = () => createCanaryPipeline({ sourceTopic: TOPIC, deliveries });

    const first = await coldStart().prepare(record(CANARY_KINDS.transientOnce));
    const redelivered = await coldStart().prepare(record(CANARY_KINDS.transientOnce));

    expect(first.ok).toBe(false);
    expect(!first.ok && first.error).toBeInstanceOf(RetryLaterError);
    expect(output(redelivered)).toEqual({ ...value(CANARY_KINDS.transientOnce), delivery: 2 });
  });

  it("fails an invalid record's schema (a validate dead letter) without counting it", async () => {
    const deliveries = new MemoryCanaryDeliveries();
    const pipeline = createCanaryPipeline({ sourceTopic: TOPIC, deliveries });

    const result = await pipeline.prepare(record(CANARY_KINDS.invalid));

    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.name).toBe("SchemaViolationError");
    expect(!result.ok && "stage" in result.error && result.error.stage).toBe("validate");
    expect(!result.ok && result.error.message).toMatch(/^kind: /);
    expect(deliveries.counts.size).toBe(0);
  });

  it("retries a record whose delivery cannot be counted for now, and dead-letters it when it never can", async () => {
    const throttled = createCanaryPipeline({
      sourceTopic: TOPIC,
      deliveries: new MemoryCanaryDeliveries(() => new TransientError("ThrottlingException")),
    });
    const denied = createCanaryPipeline({
      sourceTopic: TOPIC,
      deliveries: new MemoryCanaryDeliveries(() => new PipelineError("AccessDeniedException")),
    });

    const retried = await throttled.prepare(record(CANARY_KINDS.good));
    const refused = await denied.prepare(record(CANARY_KINDS.good));

    expect(!retried.ok && retried.error).toBeInstanceOf(RetryLaterError);
    expect(!refused.ok && refused.error.name).toBe("TransformError");
    expect(!refused.ok && refused.error.message).toContain("AccessDeniedException");
  });
});

describe("a canary run through the processor", () => {
  const batch = (kinds: readonly CanaryKind[], firstOffset: number) =>
    buildEvent(
      kinds.map((kind, i) => ({
        topic: TOPIC,
        partition: 0,
        offset: firstOffset + i,
        value: value(kind),
        key: Buffer.from(RUN).toString("base64"),
        timestamp: 1_764_583_200_000,
      })),
    );

  it("reports transient-once in the partial response, then completes when the mapping resumes there", async () => {
    const deliveries = new MemoryCanaryDeliveries();
    const sink = new MemoryMessageSink();
    const index = new MemoryDeadLetterIndex();
    const processor = new KafkaBatchProcessor({
      pipelines: [createCanaryPipeline({ sourceTopic: TOPIC, deliveries })],
      sink,
      archive: new MemoryArchive(),
      index,
      attempts: { ledger: new MemoryAttemptLedger(), maxTransientFailures: 5 },
      ...fakeClock(1_764_583_201_000),
      random: () => 1,
    });
    const { good, transientOnce, invalid } = CANARY_KINDS;

    const first = await processor.process(batch([good, transientOnce, invalid], 40), lambdaContext());
    const resumed = await processor.process(batch([transientOnce, invalid], 41), lambdaContext());

    expect(first.response.batchItemFailures).toEqual([
      { itemIdentifier: { partition: `${TOPIC}-0`, offset: 41 } },
    ]);
    expect(resumed.response.batchItemFailures).toEqual([]);
    const target = sink.messages(`${TOPIC}.out`).map((m) => JSON.parse(m.value?.toString() ?? "{}"));
    expect(target.map((t) => [t.kind, t.delivery])).toEqual([
      [good, 1],
      [transientOnce, 2],
    ]);
    const dlq = sink.messages(`${TOPIC}.dlq`);
    expect(
      dlq.map((m) => m.headers.find((h) => h.name === DEAD_LETTER_HEADERS.stage)?.value.toString()),
    ).toEqual(["validate"]);
    expect([...index.entries.keys()]).toEqual([expect.stringMatching(new RegExp(`^${TOPIC}:0:42@`))]);
  });
});
