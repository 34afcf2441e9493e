import { describe, expect, it } from "vitest";
import * as z from "zod";
import {
  BatchRetryError,
  MalformedEventError,
  ProduceRejectedError,
  TransientError,
} from "../../../functions/lib/core/errors";
import { DEAD_LETTER_HEADERS, LINEAGE_HEADERS } from "../../../functions/lib/core/headers";
import {
  KafkaBatchProcessor,
  type KafkaBatchProcessorOptions,
  settleBatch,
} from "../../../functions/lib/core/KafkaBatchProcessor";
import { definePipeline } from "../../../functions/lib/core/pipeline";
import type { OutgoingMessage, RecordOutcome } from "../../../functions/lib/core/types";
import { pipelines } from "../../../functions/processor/pipelines";
import { fakeClock } from "../../doubles/fakeClock";
import { type FailureScript, MemoryArchive, MemoryMessageSink } from "../../doubles/memorySinks";
import { buildEvent, lambdaContext, loadEvent } from "../../fixtures";

function setup(
  overrides: Partial<KafkaBatchProcessorOptions> & {
    sinkFailure?: FailureScript;
    archiveFailure?: FailureScript;
  } = {},
) {
  const sink = new MemoryMessageSink(overrides.sinkFailure);
  const archive = new MemoryArchive(overrides.archiveFailure);
  const processor = new KafkaBatchProcessor({
    pipelines,
    sink,
    archive,
    ...fakeClock(1_763_800_100_000),
    random: () => 1,
    ...overrides,
  });
  return { sink, archive, processor };
}

const header = (message: OutgoingMessage, name: string) =>
  message.headers.find((h) => h.name === name)?.value.toString("utf8");
const summary = (outcomes: readonly RecordOutcome[]) =>
  outcomes.map(
    (o) =>
      `${o.record.topic}-${o.record.partition}@${o.record.offset}:${o.kind}${o.kind === "dead-lettered" ? `/${o.stage}` : ""}`,
  );
const unavailable = () => new TransientError("broker unavailable");
/** Partitions are written concurrently: compare a topic's messages in source partition and offset order. */
const inSourceOrder = (messages: readonly OutgoingMessage[]) => {
  const position = (m: OutgoingMessage) => [
    Number(header(m, LINEAGE_HEADERS.sourcePartition) ?? header(m, DEAD_LETTER_HEADERS.originalPartition)),
    Number(header(m, LINEAGE_HEADERS.sourceOffset) ?? header(m, DEAD_LETTER_HEADERS.originalOffset)),
  ];
  return [...messages].sort((a, b) => {
    const [pa = 0, oa = 0] = position(a);
    const [pb = 0, ob = 0] = position(b);
    return pa - pb || oa - ob;
  });
};

describe("KafkaBatchProcessor on an MSK event", () => {
  it("gives every record exactly one outcome and acknowledges the whole batch", async () => {
    const { processor } = setup();

    const result = await processor.process(loadEvent("msk-event"), lambdaContext());

    expect(summary(result.outcomes)).toEqual([
      "employees-0@100:produced",
      "employees-0@101:dead-lettered/decode",
      "employees-0@102:dead-lettered/validate",
      "employees-0@103:produced",
      "employees-1@7:dead-lettered/decode",
      "employees-1@8:produced",
      "employees-1@9:produced",
      "user-events-2@5000:produced",
      "user-events-2@5001:dead-lettered/validate",
    ]);
    expect(result.response).toEqual({ batchItemFailures: [] });
    expect(result.stats).toMatchObject({
      received: 9,
      produced: 5,
      deadLettered: 4,
      retried: 0,
      deadLetteredByStage: { decode: 2, validate: 2 },
    });
  });

  it("writes transformed records with the original key, original headers and lineage headers", async () => {
    const { processor, sink } = setup();

    await processor.process(loadEvent("msk-event"), lambdaContext());

    const [first, keyless, tombstone, emptyKey] = inSourceOrder(sink.messages("employees.processed"));
    expect(JSON.parse(first?.value?.toString() ?? "")).toEqual({
      "Employee-Number": "EMP-1",
      name: "Ada",
      age: 36,
    });
    expect(first?.key?.toString()).toBe("emp-1");
    expect(first?.headers.filter((h) => h.name === "traceId").map((h) => h.value.toString())).toEqual([
      "abc",
      "def",
    ]);
    expect(first && header(first, LINEAGE_HEADERS.sourceTopic)).toBe("employees");
    expect(first && header(first, LINEAGE_HEADERS.sourceOffset)).toBe("100");
    expect(keyless?.key).toBeNull();
    expect(tombstone?.value).toBeNull();
    expect(tombstone?.key?.toString()).toBe("emp-5");
    expect(emptyKey?.key).toEqual(Buffer.alloc(0));
    const [event] = sink.messages("user-events.processed");
    expect(JSON.parse(event?.value?.toString() ?? "")).toEqual({ user_id: "u-1", action: "login" });
  });

  it("sends dead letters byte for byte with provenance headers, to the source partition", async () => {
    const { processor, sink } = setup();
    const event = loadEvent("msk-event");

    await processor.process(event, lambdaContext());

    const dead = inSourceOrder(sink.messages("employees.dlq"));
    expect(dead.map((m) => header(m, DEAD_LETTER_HEADERS.originalOffset))).toEqual(["101", "102", "7"]);
    const nonUtf8 = dead[2] as OutgoingMessage;
    expect(nonUtf8.value).toEqual(Buffer.from([0xff, 0xfe, 0x7b, 0x22]));
    expect(nonUtf8.key).toBeNull();
    expect(nonUtf8.preferredPartition).toBe(1);
    expect(header(nonUtf8, "content-type")).toBe("application/json");
    const invalid = dead[1] as OutgoingMessage;
    expect(invalid.headers.find((h) => h.name === "bin")?.value).toEqual(Buffer.from([0, 255, 128, 10]));
    expect(header(invalid, DEAD_LETTER_HEADERS.stage)).toBe("validate");
    expect(header(invalid, DEAD_LETTER_HEADERS.errorClass)).toBe("SchemaViolationError");
    expect(header(invalid, DEAD_LETTER_HEADERS.errorMessage)).toMatch(/^age: /);
    expect(header(invalid, DEAD_LETTER_HEADERS.originalTopic)).toBe("employees");
    expect(header(invalid, DEAD_LETTER_HEADERS.originalTimestamp)).toBe("1763800000200");
    expect(header(invalid, DEAD_LETTER_HEADERS.originalTimestampType)).toBe("CREATE_TIME");
    expect(header(invalid, DEAD_LETTER_HEADERS.attempts)).toBe("1");
    expect(header(invalid, DEAD_LETTER_HEADERS.functionName)).toBe("kafka-processor");
    expect(header(invalid, DEAD_LETTER_HEADERS.requestId)).toBe("req-0001");
    expect(header(invalid, DEAD_LETTER_HEADERS.failedAt)).toBe(new Date(1_763_800_100_000).toISOString());
  });

  it("archives one object per partition with versioned envelopes holding the original record", async () => {
    const { processor, archive } = setup();
    const event = loadEvent("msk-event");

    await processor.process(event, lambdaContext());

    expect([...archive.objects.keys()].sort()).toEqual([
      "dead-letters/topic=employees/date=2025-11-22/employees-0-101-102.jsonl.gz",
      "dead-letters/topic=employees/date=2025-11-22/employees-1-7-7.jsonl.gz",
      "dead-letters/topic=user-events/date=2025-11-22/user-events-2-5001-5001.jsonl.gz",
    ]);
    const envelope = archive.objects.get(
      "dead-letters/topic=employees/date=2025-11-22/employees-1-7-7.jsonl.gz",
    )?.[0];
    const original = event.records["employees-1"]?.[0];
    expect(envelope).toMatchObject({
      version: 1,
      id: expect.stringMatching(/^employees:1:7@[0-9a-f]{10}$/),
      source: {
        topic: "employees",
        partition: 1,
        offset: 7,
        timestampType: "LOG_APPEND_TIME",
        eventSource: "aws:kafka",
      },
      error: { stage: "decode", class: "DecodeError", message: "value is not valid UTF-8" },
      attempts: 1,
      invocation: { functionName: "kafka-processor", requestId: "req-0001" },
      dlqTopic: "employees.dlq",
      record: {
        key: null,
        value: original?.value,
        headers: [{ name: "content-type", value: Buffer.from("application/json").toString("base64") }],
      },
    });
  });

  it("dead-letters a value that is not valid base64 with the text Lambda delivered", async () => {
    const { processor, sink, archive } = setup();
    const event = buildEvent([{ topic: "employees", partition: 0, offset: 1, value: null }]);
    const record = event.records["employees-0"]?.[0];
    const broken = { ...event, records: { "employees-0": [{ ...record, value: "bm90!!" }] } };

    const result = await processor.process(broken, lambdaContext());

    expect(result.outcomes[0]).toMatchObject({ kind: "dead-lettered", stage: "decode" });
    expect(sink.messages("employees.dlq")[0]?.value?.toString()).toBe("bm90!!");
    expect(archive.envelopes()[0]).toMatchObject({
      error: { message: "value is not valid base64" },
      record: { value: "bm90!!" },
    });
  });

  it("keeps JSON parse errors free of payload fragments", async () => {
    const { processor, archive } = setup();
    const secret = Buffer.from('{"password": "hunter2", broken');

    await processor.process(
      buildEvent([{ topic: "employees", partition: 0, offset: 1, value: secret }]),
      lambdaContext(),
    );

    const [envelope] = archive.envelopes();
    expect(envelope?.error.message).toMatch(/^value is not valid JSON/);
    expect(envelope?.error.message).not.toContain("hunter2");
  });
});

describe("KafkaBatchProcessor on a self-managed Kafka event", () => {
  it("processes and dead-letters the same way, without a cluster ARN", async () => {
    const { processor, archive, sink } = setup();

    const result = await processor.process(loadEvent("self-managed-event"), lambdaContext());

    expect(summary(result.outcomes)).toEqual([
      "user-events-0@0:produced",
      "user-events-0@1:dead-lettered/decode",
    ]);
    expect(archive.envelopes()[0]?.source).toMatchObject({
      eventSource: "SelfManagedKafka",
      eventSourceArn: null,
    });
    expect(JSON.parse(sink.messages("user-events.processed")[0]?.value?.toString() ?? "")).toMatchObject({
      action: "purchase",
    });
  });
});

describe("KafkaBatchProcessor when writes fail", () => {
  const event = () =>
    buildEvent([
      { topic: "employees", partition: 0, offset: 10, value: { "Employee-Number": 1, name: "A", age: 30 } },
      { topic: "employees", partition: 0, offset: 11, value: { "Employee-Number": 2, name: "B", age: -1 } },
      { topic: "employees", partition: 0, offset: 12, value: { "Employee-Number": 3, name: "C", age: 31 } },
      { topic: "employees", partition: 1, offset: 20, value: { "Employee-Number": 4, name: "D", age: 32 } },
    ]);

  it("reports every partition from its lowest offset when the target topic stays unavailable", async () => {
    const { processor, sink } = setup({
      sinkFailure: (topic) => (topic === "employees.processed" ? unavailable() : undefined),
    });

    const result = await processor.process(event(), lambdaContext(10_000));

    expect(summary(result.outcomes)).toEqual([
      "employees-0@10:retry",
      "employees-0@11:retry",
      "employees-0@12:retry",
      "employees-1@20:retry",
    ]);
    expect(result.response.batchItemFailures).toEqual([
      { itemIdentifier: { partition: "employees-0", offset: 10 } },
      { itemIdentifier: { partition: "employees-1", offset: 20 } },
    ]);
    expect(sink.messages("employees.processed")).toHaveLength(0);
    expect(() => settleBatch(result, true)).toThrow(BatchRetryError);
    expect(settleBatch(result, false)).toBe(result.response);
  });

  it("retries a transient failure inside the invocation and then succeeds", async () => {
    const { processor, sink } = setup({
      sinkFailure: (_topic, call) => (call <= 3 ? unavailable() : undefined),
    });

    const result = await processor.process(event(), lambdaContext());

    expect(result.stats.retried).toBe(0);
    expect(sink.messages("employees.processed")).toHaveLength(3);
  });

  it("stops retrying at the invocation deadline", async () => {
    const { processor, sink } = setup({ sinkFailure: () => unavailable(), deadlineSafetyMs: 1_000 });

    await processor.process(event(), lambdaContext(5_000));

    // Backoff 100, 200, 400, 800, 1600 ms (random = 1) fits 4 000 ms after 5 attempts for one write;
    // the three partitions' writes share the fake clock, so each of their sleeps uses everyone's
    // time, and no attempt starts once the deadline is reached.
    expect(sink.calls).toBeLessThanOrEqual(3 * 6);
    expect(sink.calls).toBeGreaterThanOrEqual(3 * 3);
  });

  it("does not retry a bug in a loop", async () => {
    const { processor, sink } = setup({
      sinkFailure: () => new TypeError("cannot read properties of undefined"),
    });

    const result = await processor.process(
      buildEvent([
        { topic: "employees", partition: 0, offset: 1, value: { "Employee-Number": 1, name: "A", age: 1 } },
      ]),
      lambdaContext(),
    );

    expect(sink.calls).toBe(1);
    expect(result.outcomes[0]).toMatchObject({ kind: "retry", errorClass: "TypeError" });
  });

  it("reports a record for retry when its DLQ topic write fails, and holds back the rest of its partition", async () => {
    const { processor, sink, archive } = setup({
      sinkFailure: (topic) => (topic === "employees.dlq" ? unavailable() : undefined),
    });

    const result = await processor.process(event(), lambdaContext(10_000));

    expect(summary(result.outcomes)).toEqual([
      "employees-0@10:produced",
      "employees-0@11:retry",
      "employees-0@12:retry",
      "employees-1@20:produced",
    ]);
    expect(
      sink
        .messages("employees.processed")
        .map((m) => header(m, LINEAGE_HEADERS.sourceOffset))
        .sort(),
    ).toEqual(["10", "20"]);
    expect(result.stats.deadLetterWriteFailures).toBe(1);
    expect(result.response.batchItemFailures).toEqual([
      { itemIdentifier: { partition: "employees-0", offset: 11 } },
    ]);
    expect(archive.objects.size).toBe(1);
  });

  it("reports a record for retry when its S3 archive write fails", async () => {
    const { processor, sink } = setup({ archiveFailure: () => new TransientError("S3 503") });

    const result = await processor.process(event(), lambdaContext(10_000));

    expect(result.outcomes.find((o) => o.record.offset === 11)).toMatchObject({
      kind: "retry",
      errorClass: "DeadLetterWriteError",
    });
    expect(result.stats.deadLetterWriteFailures).toBe(1);
    // The archive is written first: a DLQ message never names an archive object that does not exist.
    expect(sink.messages("employees.dlq")).toHaveLength(0);
  });

  it("continues past a record that must be retried when ordering is off", async () => {
    const { processor, sink } = setup({
      ordered: false,
      sinkFailure: (topic) => (topic === "employees.dlq" ? unavailable() : undefined),
    });

    const result = await processor.process(event(), lambdaContext(10_000));

    expect(summary(result.outcomes)).toEqual([
      "employees-0@10:produced",
      "employees-0@11:retry",
      "employees-0@12:produced",
      "employees-1@20:produced",
    ]);
    expect(sink.messages("employees.processed")).toHaveLength(3);
    expect(result.response.batchItemFailures).toEqual([
      { itemIdentifier: { partition: "employees-0", offset: 11 } },
    ]);
  });

  it("isolates a record the broker rejects and dead-letters it at the produce stage", async () => {
    const tooBig = (topic: string) => topic === "employees.processed";
    let rejectedBatch = true;
    const sink = new MemoryMessageSink();
    const rejecting = {
      send: async (topic: string, messages: readonly OutgoingMessage[]) => {
        const poisoned = messages.some((m) => header(m, LINEAGE_HEADERS.sourceOffset) === "12");
        if (tooBig(topic) && poisoned) {
          rejectedBatch = true;
          throw new ProduceRejectedError("MESSAGE_TOO_LARGE");
        }
        return sink.send(topic, messages);
      },
    };
    const { processor } = setup({ sink: rejecting });

    const result = await processor.process(event(), lambdaContext());

    expect(rejectedBatch).toBe(true);
    expect(summary(result.outcomes)).toEqual([
      "employees-0@10:produced",
      "employees-0@11:dead-lettered/validate",
      "employees-0@12:dead-lettered/produce",
      "employees-1@20:produced",
    ]);
    expect(sink.messages("employees.dlq").map((m) => header(m, DEAD_LETTER_HEADERS.stage))).toEqual([
      "validate",
      "produce",
    ]);
  });
});

describe("KafkaBatchProcessor edge cases", () => {
  it("dead-letters a transformed record over the size limit", async () => {
    const { processor } = setup({ maxOutputRecordBytes: 50 });

    const result = await processor.process(
      buildEvent([
        {
          topic: "employees",
          partition: 0,
          offset: 1,
          value: { "Employee-Number": 1, name: "x".repeat(80), age: 1 },
        },
      ]),
      lambdaContext(),
    );

    expect(result.outcomes[0]).toMatchObject({
      kind: "dead-lettered",
      stage: "produce",
      errorClass: "RecordTooLargeError",
    });
  });

  it("dead-letters records of a topic no pipeline declares, to <topic>.dlq, when told to", async () => {
    const { processor, sink } = setup({ unroutable: "dead-letter" });

    const result = await processor.process(
      buildEvent([{ topic: "orders", partition: 0, offset: 1, value: { id: 1 } }]),
      lambdaContext(),
    );

    expect(result.outcomes[0]).toMatchObject({
      kind: "dead-lettered",
      stage: "route",
      dlqTopic: "orders.dlq",
    });
    expect(sink.messages("orders.dlq")).toHaveLength(1);
  });

  it("replaces earlier dead-letter headers instead of stacking them", async () => {
    const { processor, sink } = setup();
    const event = buildEvent([
      { topic: "employees", partition: 0, offset: 1, value: { "Employee-Number": 1, name: "A", age: 0 } },
    ]);
    const record = event.records["employees-0"]?.[0];
    const redriven = {
      ...record,
      headers: [{ [DEAD_LETTER_HEADERS.stage]: [...Buffer.from("decode")] }, { keep: [1] }],
    };
    const input = { ...event, records: { "employees-0": [redriven] } };

    await processor.process(input, lambdaContext());

    const [dead] = sink.messages("employees.dlq");
    expect(
      dead?.headers.filter((h) => h.name === DEAD_LETTER_HEADERS.stage).map((h) => h.value.toString()),
    ).toEqual(["validate"]);
    expect(dead?.headers[0]).toEqual({ name: "keep", value: Buffer.from([1]) });
  });

  it("applies topic overrides to target and DLQ names", async () => {
    const { processor, sink } = setup({
      topicOverrides: { employees: { target: "hr.out", dlq: "hr.dead" } },
    });

    await processor.process(
      buildEvent([
        { topic: "employees", partition: 0, offset: 1, value: { "Employee-Number": 1, name: "A", age: 2 } },
        { topic: "employees", partition: 0, offset: 2, value: { "Employee-Number": 2, name: "B", age: 0 } },
      ]),
      lambdaContext(),
    );

    expect(sink.messages("hr.out")).toHaveLength(1);
    expect(sink.messages("hr.dead")).toHaveLength(1);
  });

  it("runs asynchronous schemas and transforms, and dead-letters a transform that throws", async () => {
    const asyncPipeline = definePipeline({
      sourceTopic: "orders",
      targetTopic: "orders.out",
      schema: z.object({ id: z.number() }).refine(async (o) => o.id > 0, "id must be positive"),
      transform: async (order) => {
        if (order.id === 13) throw new Error("unlucky order");
        return { orderId: order.id };
      },
    });
    const { processor, sink } = setup({ pipelines: [asyncPipeline] });

    const result = await processor.process(
      buildEvent([
        { topic: "orders", partition: 0, offset: 1, value: { id: 1 } },
        { topic: "orders", partition: 0, offset: 2, value: { id: -1 } },
        { topic: "orders", partition: 0, offset: 3, value: { id: 13 } },
      ]),
      lambdaContext(),
    );

    expect(summary(result.outcomes)).toEqual([
      "orders-0@1:produced",
      "orders-0@2:dead-lettered/validate",
      "orders-0@3:dead-lettered/transform",
    ]);
    expect(JSON.parse(sink.messages("orders.out")[0]?.value?.toString() ?? "")).toEqual({ orderId: 1 });
  });

  it("refuses two pipelines for one source topic", () => {
    expect(() => setup({ pipelines: [...pipelines, ...pipelines] })).toThrow(/two pipelines/);
  });

  it.each([
    ["not an object", "hello"],
    ["an unknown event source", { eventSource: "aws:sqs", records: {} }],
    ["records that are not an object", { eventSource: "aws:kafka", records: [] }],
    [
      "a record without an offset",
      { eventSource: "aws:kafka", records: { "t-0": [{ topic: "t", partition: 0 }] } },
    ],
  ])("rejects an event that is %s, so that Lambda retries the whole batch", async (_case, event) => {
    const { processor } = setup();

    await expect(processor.process(event, lambdaContext())).rejects.toThrow(MalformedEventError);
  });

  it("acknowledges an empty batch without throwing", async () => {
    const { processor } = setup();

    const result = await processor.process({ eventSource: "aws:kafka", records: {} }, lambdaContext());

    expect(settleBatch(result, true)).toEqual({ batchItemFailures: [] });
  });
});
