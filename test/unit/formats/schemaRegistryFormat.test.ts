/**
 * The outcomes of schema-registry pipelines through the processor: decoded records produced,
 * unknown schemas and broken bytes as `decode` dead letters naming schema and format with the
 * original bytes, an unavailable registry as a retry (never a dead letter), schemas cached.
 */
import { deflateSync } from "node:zlib";
import avro from "avsc";
import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { KafkaBatchProcessor } from "../../../functions/lib/core/KafkaBatchProcessor";
import { definePipeline } from "../../../functions/lib/core/pipeline";
import type { KafkaEvent, SchemaMetadata } from "../../../functions/lib/core/types";
import { encodeConfluentFrame, parseConfluentFrame } from "../../../functions/lib/formats/confluentWire";
import { encodeGlueFrame } from "../../../functions/lib/formats/glueWire";
import {
  type SchemaRegistryFormatOptions,
  schemaRegistryFormat,
} from "../../../functions/lib/formats/schemaRegistryFormat";
import type { RegisteredSchema, SchemaRegistry } from "../../../functions/lib/formats/types";
import { fakeClock } from "../../doubles/fakeClock";
import { MemorySchemaRegistry } from "../../doubles/memorySchemaRegistry";
import { MemoryArchive, MemoryMessageSink } from "../../doubles/memorySinks";
import { buildEvent, lambdaContext } from "../../fixtures";
import { ORDER_PROTO, PAYMENT_AVRO_V1, PAYMENT_AVRO_V2, USER_JSON_SCHEMA } from "../../fixtures/schemas";

const TOPIC = "payments";
const paymentSchema = z.looseObject({ id: z.string(), amount: z.number().nonnegative() });
const avroV1 = avro.Type.forSchema(JSON.parse(PAYMENT_AVRO_V1));
const avroV2 = avro.Type.forSchema(JSON.parse(PAYMENT_AVRO_V2));

function setup(format: SchemaRegistryFormatOptions, clock = true) {
  const sink = new MemoryMessageSink();
  const archive = new MemoryArchive();
  const pipeline = definePipeline({
    sourceTopic: TOPIC,
    targetTopic: `${TOPIC}.out`,
    ...schemaRegistryFormat(format),
    schema: paymentSchema,
    transform: (p) => ({ ...p, amount: p.amount * 100 }),
  });
  const processor = new KafkaBatchProcessor({
    pipelines: [pipeline],
    sink,
    archive,
    ...(clock ? fakeClock(1_763_800_100_000) : {}),
    random: () => 1,
  });
  const outputs = () => sink.messages(`${TOPIC}.out`).map((m) => m.value);
  return { sink, archive, processor, outputs };
}

const event = (values: readonly Buffer[], metadata?: SchemaMetadata): KafkaEvent => {
  const built = buildEvent(values.map((value, offset) => ({ topic: TOPIC, partition: 0, offset, value })));
  if (metadata === undefined) return built;
  const records = Object.fromEntries(
    Object.entries(built.records).map(([k, list]) => [
      k,
      list.map((r) => ({ ...r, valueSchemaMetadata: metadata })),
    ]),
  );
  return { ...built, records };
};
const outcomes = (result: Awaited<ReturnType<KafkaBatchProcessor["process"]>>) =>
  result.outcomes.map((o) => (o.kind === "dead-lettered" ? `${o.kind}/${o.stage}/${o.errorClass}` : o.kind));

describe("Confluent wire format, Avro", () => {
  it("decodes, validates and transforms; v1 records resolve to the v2 reader schema", async () => {
    const registry = new MemorySchemaRegistry();
    const v1 = Number(registry.register("payments-value", "AVRO", PAYMENT_AVRO_V1));
    const v2 = Number(registry.register("payments-value", "AVRO", PAYMENT_AVRO_V2));
    const { processor, outputs } = setup({
      framing: "confluent",
      registry,
      avroReaderSchema: PAYMENT_AVRO_V2,
    });

    const result = await processor.process(
      event([
        encodeConfluentFrame(v1, avroV1.toBuffer({ id: "a", amount: 1.5 })),
        encodeConfluentFrame(v2, avroV2.toBuffer({ id: "b", amount: 2, currency: "USD" })),
      ]),
      lambdaContext(),
    );

    expect(outcomes(result)).toEqual(["produced", "produced"]);
    expect(outputs().map((v) => JSON.parse(String(v)))).toEqual([
      { id: "a", amount: 150, currency: "EUR" },
      { id: "b", amount: 200, currency: "USD" },
    ]);
  });

  it("dead-letters an unknown schema id, broken bytes and unframed bytes at decode, keeping the bytes", async () => {
    const registry = new MemorySchemaRegistry();
    const id = Number(registry.register("payments-value", "AVRO", PAYMENT_AVRO_V1));
    const { processor, archive, sink } = setup({ framing: "confluent", registry, format: "AVRO" });
    const unknown = encodeConfluentFrame(99, avroV1.toBuffer({ id: "a", amount: 1 }));
    const broken = encodeConfluentFrame(id, Buffer.from([0x09]));

    const result = await processor.process(
      event([unknown, broken, Buffer.from('{"id":"x"}')]),
      lambdaContext(),
    );

    expect(outcomes(result)).toEqual([
      "dead-lettered/decode/SchemaNotFoundError",
      "dead-lettered/decode/SchemaDecodeError",
      "dead-lettered/decode/SchemaDecodeError",
    ]);
    const envelopes = archive.envelopes();
    expect(envelopes.map((e) => e.error.schema)).toEqual([
      { format: "AVRO", schemaId: "99" },
      { format: "AVRO", schemaId: String(id) },
      { format: "unknown", schemaId: undefined },
    ]);
    expect(envelopes[0]?.error.message).toBe("AVRO schema 99: the registry has no such schema");
    expect(envelopes[0]?.record.value).toBe(unknown.toString("base64"));
    expect(sink.messages(`${TOPIC}.dlq`)[1]?.value?.equals(broken)).toBe(true);
    expect(result.response.batchItemFailures).toEqual([]);
  });

  it("reports records for retry while the registry is down, never dead-letters them, and recovers", async () => {
    const registry = new MemorySchemaRegistry();
    const id = Number(registry.register("payments-value", "AVRO", PAYMENT_AVRO_V1));
    const { processor, archive, outputs } = setup({ framing: "confluent", registry });
    const batch = event([encodeConfluentFrame(id, avroV1.toBuffer({ id: "a", amount: 1 }))]);
    registry.down = true;

    const down = await processor.process(batch, lambdaContext());
    registry.down = false;
    const up = await processor.process(batch, lambdaContext());

    expect(down.outcomes.map((o) => [o.kind, o.kind === "retry" ? o.errorClass : ""])).toEqual([
      ["retry", "SchemaRegistryUnavailableError"],
    ]);
    expect(down.response.batchItemFailures).toEqual([
      { itemIdentifier: { partition: `${TOPIC}-0`, offset: 0 } },
    ]);
    expect(archive.envelopes()).toEqual([]);
    expect(outcomes(up)).toEqual(["produced"]);
    expect(outputs()).toHaveLength(1);
  });

  it("asks the registry once per schema id across records and invocations", async () => {
    const registry = new MemorySchemaRegistry();
    const id = Number(registry.register("payments-value", "AVRO", PAYMENT_AVRO_V1));
    const { processor } = setup({ framing: "confluent", registry });
    const value = encodeConfluentFrame(id, avroV1.toBuffer({ id: "a", amount: 1 }));

    await processor.process(event([value, value, value]), lambdaContext());
    await processor.process(event([value]), lambdaContext());

    expect(registry.requests).toEqual([`id ${id}`]);
  });

  it("re-encodes the output with the latest schema of the configured subject", async () => {
    const registry = new MemorySchemaRegistry();
    const id = Number(registry.register("payments-value", "AVRO", PAYMENT_AVRO_V1));
    const outId = Number(registry.register("payments.out-value", "AVRO", PAYMENT_AVRO_V2));
    const { processor, outputs } = setup({
      framing: "confluent",
      registry,
      output: { format: "source", subject: "payments.out-value" },
    });

    await processor.process(
      event([encodeConfluentFrame(id, avroV1.toBuffer({ id: "a", amount: 1 }))]),
      lambdaContext(),
    );

    const frame = parseConfluentFrame(outputs()[0] as Buffer);
    expect(frame.schemaId).toBe(outId);
    expect({ ...avroV2.fromBuffer(frame.body) }).toEqual({ id: "a", amount: 100, currency: "EUR" });
  });

  it("reports a record for retry at the deadline when the registry hangs, aborting the request", async () => {
    let aborted = false;
    const hanging: SchemaRegistry = {
      kind: "confluent",
      schemaById: (_id, signal) =>
        new Promise<RegisteredSchema>((_, reject) =>
          signal?.addEventListener("abort", () => {
            aborted = true;
            reject(signal.reason);
          }),
        ),
      latestVersion: () => Promise.reject(new Error("unused")),
    };
    const { processor } = setup({ framing: "confluent", registry: hanging }, false);
    const started = Date.now();

    const result = await processor.process(
      event([encodeConfluentFrame(1, Buffer.from([2, 0x61, 0]))]),
      lambdaContext(2_300),
    );

    expect(result.outcomes.map((o) => o.kind)).toEqual(["retry"]);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(aborted).toBe(true);
  });
});

describe("Confluent wire format, Protobuf and JSON Schema", () => {
  it("decodes a Protobuf record by its message indexes", async () => {
    const registry = new MemorySchemaRegistry();
    const proto = `syntax = "proto3";\npackage p;\nmessage Meta { string a = 1; }\nmessage Payment { string id = 1; double amount = 2; }\n`;
    const id = Number(registry.register("payments-value", "PROTOBUF", proto));
    const type = protobuf.parse(proto).root.lookupType("p.Payment");
    const payload = Buffer.from(type.encode(type.fromObject({ id: "a", amount: 3 })).finish());
    const { processor, outputs } = setup({ framing: "confluent", registry, format: "PROTOBUF" });

    const result = await processor.process(event([encodeConfluentFrame(id, payload, [1])]), lambdaContext());

    expect(outcomes(result)).toEqual(["produced"]);
    expect(JSON.parse(String(outputs()[0]))).toEqual({ id: "a", amount: 300 });
  });

  it("refuses a record of another format than the pipeline reads", async () => {
    const registry = new MemorySchemaRegistry();
    const id = Number(registry.register("orders-value", "PROTOBUF", ORDER_PROTO));
    const { processor, archive } = setup({ framing: "confluent", registry, format: "AVRO" });

    await processor.process(event([encodeConfluentFrame(id, Buffer.from([0]), [0])]), lambdaContext());

    expect(archive.envelopes()[0]?.error).toMatchObject({
      stage: "decode",
      schema: { format: "PROTOBUF", schemaId: String(id) },
    });
  });

  it("dead-letters a JSON Schema violation at validate", async () => {
    const registry = new MemorySchemaRegistry();
    const id = Number(registry.register("users-value", "JSON", USER_JSON_SCHEMA));
    const { processor } = setup({ framing: "confluent", registry });

    const result = await processor.process(
      event([encodeConfluentFrame(id, Buffer.from('{"user_id":"x","action":"a"}'))]),
      lambdaContext(),
    );

    expect(outcomes(result)).toEqual(["dead-lettered/validate/SchemaViolationError"]);
  });
});

describe("AWS Glue wire format", () => {
  it("decodes compressed and uncompressed Avro records by schema version id", async () => {
    const registry = new MemorySchemaRegistry("glue");
    const versionId = registry.register("payments", "AVRO", PAYMENT_AVRO_V1);
    const avroBytes = avroV1.toBuffer({ id: "g", amount: 4 });
    const { processor, outputs } = setup({ framing: "glue", registry });

    const result = await processor.process(
      event([
        encodeGlueFrame(versionId, avroBytes, null),
        encodeGlueFrame(versionId, avroBytes, deflateSync(avroBytes)),
      ]),
      lambdaContext(),
    );

    expect(outcomes(result)).toEqual(["produced", "produced"]);
    expect(outputs().map((v) => JSON.parse(String(v)))).toEqual([
      { id: "g", amount: 400 },
      { id: "g", amount: 400 },
    ]);
  });
});

describe("records the mapping deserialized (schema registry on the event source mapping)", () => {
  const metadata = { dataFormat: "AVRO", schemaId: "7" };

  it("JSON record format: parses the JSON value and keeps the schema metadata on dead letters", async () => {
    const { processor, archive, outputs } = setup({ framing: "mapping-json" });

    const result = await processor.process(
      event([Buffer.from('{"id":"a","amount":1}'), Buffer.from('{"id":"b","amount":-1}')], metadata),
      lambdaContext(),
    );

    expect(outcomes(result)).toEqual(["produced", "dead-lettered/validate/SchemaViolationError"]);
    expect(JSON.parse(String(outputs()[0]))).toEqual({ id: "a", amount: 100 });
    expect(archive.envelopes()[0]?.record.valueSchemaMetadata).toEqual(metadata);
  });

  it("SOURCE record format: decodes the bare bytes with the schema the metadata names", async () => {
    const registry = new MemorySchemaRegistry();
    registry.register("payments-value", "AVRO", PAYMENT_AVRO_V1, "7");
    const { processor, archive } = setup({ framing: "mapping-source", registry });

    const result = await processor.process(
      event([avroV1.toBuffer({ id: "a", amount: 1 }), Buffer.from([0x09])], metadata),
      lambdaContext(),
    );

    expect(outcomes(result)).toEqual(["produced", "dead-lettered/decode/SchemaDecodeError"]);
    expect(archive.envelopes()[0]).toMatchObject({
      error: { schema: { format: "AVRO", schemaId: "7" } },
      record: { valueSchemaMetadata: metadata },
    });
  });

  it("SOURCE record format without metadata is a decode dead letter", async () => {
    const { processor } = setup({ framing: "mapping-source", registry: new MemorySchemaRegistry() });

    const result = await processor.process(event([Buffer.from([2])]), lambdaContext());

    expect(outcomes(result)).toEqual(["dead-lettered/decode/SchemaDecodeError"]);
  });
});
