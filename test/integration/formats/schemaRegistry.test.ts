/**
 * Schema-registry formats against the local stack's real registry (Apicurio Registry, Confluent-
 * compatible API), run as Lambda runs the processor: the minified bundle, the real producer, S3
 * archive and DynamoDB index. Avro and Protobuf with schema evolution, an unknown schema id, a
 * registry outage (transient, then recovered), the mapping's JSON and SOURCE record formats, and
 * the redrive of an Avro dead letter, whose replay must be the original bytes.
 */
import { join } from "node:path";
import avro from "avsc";
import type { Context } from "aws-lambda";
import protobuf from "protobufjs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { toPolledRecord } from "../../../emulator/eventBuilder";
import { TcpOutageProxy } from "../../../emulator/faults/TcpOutageProxy";
import { EVENT_RECORD_FORMATS, MappingSchemaRegistry } from "../../../emulator/MappingSchemaRegistry";
import { pendingOf } from "../../../emulator/pendingRecords";
import { ConfluentSchemaRegistry } from "../../../functions/lib/adapters/ConfluentSchemaRegistry";
import type { KafkaEvent } from "../../../functions/lib/core/types";
import { encodeConfluentFrame } from "../../../functions/lib/formats/confluentWire";
import { ORDER_PROTO, ORDER_PROTO_V2, PAYMENT_AVRO_V1, PAYMENT_AVRO_V2 } from "../../fixtures/schemas";
import { registerSchema, schemaRegistryUrl, waitForSchemaRegistry } from "../../support/schemaRegistry";
import { type BundledHandler, loadRedriveBundle } from "../dlq/redriveBundle";
import { PipelineHarness } from "../processor/pipelineHarness";

const ENTRY = join(import.meta.dirname, "bundledFormatsProcessor.ts");
const URL_ = schemaRegistryUrl();
const avroV1 = avro.Type.forSchema(JSON.parse(PAYMENT_AVRO_V1));
const avroV2 = avro.Type.forSchema(JSON.parse(PAYMENT_AVRO_V2));
const orderV1 = protobuf.parse(ORDER_PROTO).root.lookupType("example.orders.Order");
const orderV2 = protobuf.parse(ORDER_PROTO_V2).root.lookupType("example.orders.Order");
const proto = (type: protobuf.Type, value: object) =>
  Buffer.from(type.encode(type.fromObject(value)).finish());
const json = (value: Buffer | null | undefined) =>
  JSON.parse(value?.toString() ?? "null") as Record<string, unknown>;
/** Outputs land on the target's partitions by key, so their order across partitions is not the source's. */
const byId = (values: Record<string, unknown>[]) =>
  values.sort((a, b) => String(a.id).localeCompare(String(b.id)));

/** Unique per run, so a kept registry never holds this run's subjects already. */
const subject = (harness: PipelineHarness) => `${harness.topics.source}-value`;

beforeAll(() => waitForSchemaRegistry());

describe("schema-registry formats against the local registry", () => {
  let harness: PipelineHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it("Avro: decodes records of both schema versions (v1 resolved to the v2 reader), dead-letters an unknown id and broken bytes", async () => {
    harness = await PipelineHarness.create(
      "avro",
      {
        SCHEMA_REGISTRY_URL: URL_,
        IT_FRAMING: "confluent",
        IT_FORMAT: "AVRO",
        IT_AVRO_READER_SCHEMA: PAYMENT_AVRO_V2,
      },
      ENTRY,
    );
    await harness.createTopics();
    const v1 = await registerSchema(subject(harness), "AVRO", PAYMENT_AVRO_V1);
    const v2 = await registerSchema(subject(harness), "AVRO", PAYMENT_AVRO_V2);
    expect(v2).not.toBe(v1);
    const unknown = encodeConfluentFrame(2_000_000_000, avroV1.toBuffer({ id: "u", amount: 1 }));
    const broken = encodeConfluentFrame(v1, Buffer.from([0x09]));
    await harness.produceSource([
      { partition: 0, key: "v1", value: encodeConfluentFrame(v1, avroV1.toBuffer({ id: "a", amount: 1.5 })) },
      {
        partition: 0,
        key: "v2",
        value: encodeConfluentFrame(v2, avroV2.toBuffer({ id: "b", amount: 2, currency: "USD" })),
      },
      { partition: 0, key: "unknown", value: unknown },
      { partition: 0, key: "broken", value: broken },
    ]);

    const response = await harness.invoke(await harness.eventFor(4));

    expect(response).toEqual({ batchItemFailures: [] });
    const target = await harness.read("target", 2);
    expect(byId(target.map((r) => json(r.message.value)))).toEqual([
      { id: "a", amount: 1.5, currency: "EUR", processed: true },
      { id: "b", amount: 2, currency: "USD", processed: true },
    ]);
    const dlq = await harness.read("dlq", 2);
    expect(dlq.map((r) => r.message.value)).toEqual([unknown, broken]);
    const envelopes = await harness.archivedEnvelopes();
    expect(envelopes.map((e) => [e.error.class, e.error.schema])).toEqual([
      ["SchemaNotFoundError", { format: "AVRO", schemaId: "2000000000" }],
      ["SchemaDecodeError", { format: "AVRO", schemaId: String(v1) }],
    ]);
    const indexed = await harness.indexedDeadLetters();
    expect(indexed.map((i) => i.valueSchemaId).sort()).toEqual(["2000000000", String(v1)].sort());
  });

  it("Protobuf: decodes records of both schema versions by their message indexes", async () => {
    harness = await PipelineHarness.create(
      "proto",
      { SCHEMA_REGISTRY_URL: URL_, IT_FRAMING: "confluent" },
      ENTRY,
    );
    await harness.createTopics();
    const v1 = await registerSchema(subject(harness), "PROTOBUF", ORDER_PROTO);
    const v2 = await registerSchema(subject(harness), "PROTOBUF", ORDER_PROTO_V2);
    await harness.produceSource([
      { partition: 1, value: encodeConfluentFrame(v1, proto(orderV1, { id: "o1", quantity: 3 }), [1]) },
      {
        partition: 1,
        value: encodeConfluentFrame(v2, proto(orderV2, { id: "o2", quantity: 4, note: "n" }), [1]),
      },
    ]);

    const response = await harness.invoke(await harness.eventFor(2));

    expect(response).toEqual({ batchItemFailures: [] });
    const target = await harness.read("target", 2);
    expect(byId(target.map((r) => json(r.message.value)))).toEqual([
      { id: "o1", quantity: "3", lines: [], processed: true },
      { id: "o2", quantity: "4", lines: [], note: "n", processed: true },
    ]);
  });

  it("retries the batch while the registry is unreachable, dead-letters nothing, and recovers", async () => {
    const registryUrl = new URL(URL_);
    const proxy = new TcpOutageProxy({
      targetHost: registryUrl.hostname,
      targetPort: Number(registryUrl.port),
    });
    const endpoint = await proxy.start();
    try {
      harness = await PipelineHarness.create(
        "outage",
        { SCHEMA_REGISTRY_URL: `${endpoint}${registryUrl.pathname}`, IT_FRAMING: "confluent" },
        ENTRY,
      );
      await harness.createTopics();
      const id = await registerSchema(subject(harness), "AVRO", PAYMENT_AVRO_V1);
      await harness.produceSource([
        { partition: 2, value: encodeConfluentFrame(id, avroV1.toBuffer({ id: "a", amount: 1 })) },
      ]);
      const event = await harness.eventFor(1);
      await proxy.cutOff();

      // No record of the batch can be done: the whole batch fails, so the mapping retries it.
      await expect(harness.invoke(event)).rejects.toMatchObject({ name: "BatchRetryError" });
      await proxy.start();
      const up = await harness.invoke(event);

      expect(up).toEqual({ batchItemFailures: [] });
      expect(await harness.archivedEnvelopes()).toEqual([]);
      expect((await harness.read("target", 1)).map((r) => json(r.message.value))).toEqual([
        { id: "a", amount: 1, processed: true },
      ]);
    } finally {
      await proxy.cutOff();
    }
  });

  describe.each([EVENT_RECORD_FORMATS.json, EVENT_RECORD_FORMATS.source])(
    "a mapping-side %s event",
    (format) => {
      it("decodes the record and keeps the schema metadata on its dead letter", async () => {
        const framing = format === EVENT_RECORD_FORMATS.json ? "mapping-json" : "mapping-source";
        harness = await PipelineHarness.create(
          `mapping-${format}`,
          { SCHEMA_REGISTRY_URL: URL_, IT_FRAMING: framing },
          ENTRY,
        );
        await harness.createTopics();
        const id = await registerSchema(subject(harness), "AVRO", PAYMENT_AVRO_V1);
        await harness.produceSource([
          { partition: 0, value: encodeConfluentFrame(id, avroV1.toBuffer({ id: "good", amount: 1 })) },
          { partition: 0, value: encodeConfluentFrame(id, avroV1.toBuffer({ id: "", amount: 2 })) },
        ]);
        // The event as the mapping delivers it, built by the emulator's mapping against the same registry.
        const raw = await harness.read("source", 2);
        const mapping = new MappingSchemaRegistry({
          registry: new ConfluentSchemaRegistry({ url: URL_ }),
          eventRecordFormat: format,
        });
        const { ready } = await mapping.stage(
          raw.map((r) => pendingOf(toPolledRecord(r.topic, r.partition, r.message))),
        );
        const event: KafkaEvent = {
          eventSource: "aws:kafka",
          eventSourceArn: "arn:aws:kafka:us-east-1:000000000000:cluster/local/1",
          bootstrapServers: "127.0.0.1:9092",
          records: { [`${harness.topics.source}-0`]: ready.map((p) => p.record.event) },
        };

        const response = await harness.invoke(event);

        expect(response).toEqual({ batchItemFailures: [] });
        expect((await harness.read("target", 1)).map((r) => json(r.message.value))).toEqual([
          { id: "good", amount: 1, processed: true },
        ]);
        const [envelope] = await harness.archivedEnvelopes();
        expect(envelope?.error.stage).toBe("validate");
        expect(envelope?.record.valueSchemaMetadata).toEqual({ dataFormat: "AVRO", schemaId: String(id) });
        const [indexed] = await harness.indexedDeadLetters();
        expect(indexed).toMatchObject({ valueSchemaId: String(id), valueDataFormat: "AVRO" });
      });
    },
  );
});

describe("the redrive of an Avro dead letter", () => {
  let harness: PipelineHarness;
  let redrive: BundledHandler;
  beforeAll(async () => {
    harness = await PipelineHarness.create(
      "redrive",
      { SCHEMA_REGISTRY_URL: URL_, IT_FRAMING: "confluent" },
      ENTRY,
    );
    // The redrive's logger reads its level at INIT: keep its summary line out of the test output.
    const level = process.env.POWERTOOLS_LOG_LEVEL;
    process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
    try {
      ({ handler: redrive } = await loadRedriveBundle());
    } finally {
      if (level === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
      else process.env.POWERTOOLS_LOG_LEVEL = level;
    }
    await harness.createTopics();
  });
  afterAll(() => harness.close());

  it("replays the original bytes unchanged", async () => {
    const original = encodeConfluentFrame(2_000_000_001, avroV1.toBuffer({ id: "r", amount: 9 }));
    await harness.produceSource([
      { partition: 0, key: "avro-dl", value: original, headers: { trace: "t-1" } },
    ]);
    await harness.invoke(await harness.eventFor(1));
    expect((await harness.archivedEnvelopes()).map((e) => e.error.class)).toEqual(["SchemaNotFoundError"]);

    const summary = await redrive({ topic: harness.topics.source }, redriveContext());

    expect(summary).toMatchObject({ state: "completed", counts: { replayed: 1 } });
    const [, replayed] = await harness.read("source", 2);
    expect(replayed?.message.value?.equals(original)).toBe(true);
    expect(replayed?.message.key?.toString()).toBe("avro-dl");
    expect(replayed?.message.headers?.trace?.toString()).toBe("t-1");
  });
});

function redriveContext(): Context {
  return {
    functionName: "kafka-redrive",
    functionVersion: "$LATEST",
    awsRequestId: "req-redrive-avro",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:111122223333:function:kafka-redrive",
    memoryLimitInMB: "512",
    logGroupName: "/aws/lambda/kafka-redrive",
    logStreamName: "stream",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 600_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
