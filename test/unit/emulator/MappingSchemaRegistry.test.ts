import avro from "avsc";
import { describe, expect, it } from "vitest";
import { toPolledRecord } from "../../../emulator/eventBuilder";
import { MappingSchemaRegistry } from "../../../emulator/MappingSchemaRegistry";
import { pendingOf } from "../../../emulator/pendingRecords";
import { decodeKafkaEvent } from "../../../functions/lib/core/decodeEvent";
import { encodeConfluentFrame } from "../../../functions/lib/formats/confluentWire";
import { MemorySchemaRegistry } from "../../doubles/memorySchemaRegistry";
import { PAYMENT_AVRO_V1 } from "../../fixtures/schemas";
import { message } from "./records";

const type = avro.Type.forSchema(JSON.parse(PAYMENT_AVRO_V1));
const pending = (offset: number, value: Buffer) =>
  pendingOf(toPolledRecord("payments", 0, message(offset, value)));

function setup(eventRecordFormat: "JSON" | "SOURCE") {
  const registry = new MemorySchemaRegistry();
  const id = Number(registry.register("payments-value", "AVRO", PAYMENT_AVRO_V1));
  return { registry, id, mapping: new MappingSchemaRegistry({ registry, eventRecordFormat }) };
}

describe("the mapping's schema registry, emulated", () => {
  it("JSON format: delivers the record as JSON with valueSchemaMetadata", async () => {
    const { mapping, id } = setup("JSON");

    const { ready, failed } = await mapping.stage([
      pending(0, encodeConfluentFrame(id, type.toBuffer({ id: "a", amount: 2 }))),
    ]);

    expect(failed).toEqual([]);
    const event = ready[0]?.record.event;
    expect(JSON.parse(Buffer.from(event?.value as string, "base64").toString())).toEqual({
      id: "a",
      amount: 2,
    });
    expect(event?.valueSchemaMetadata).toEqual({ dataFormat: "AVRO", schemaId: String(id) });
    expect(JSON.parse(ready[0]?.record.eventJson as string)).toEqual(event);
    // What the function's event decoder makes of it.
    const decoded = decodeKafkaEvent({ eventSource: "SelfManagedKafka", records: { "payments-0": [event] } });
    expect(decoded.partitions[0]?.records[0]?.valueSchemaMetadata).toEqual({
      dataFormat: "AVRO",
      schemaId: String(id),
    });
  });

  it("SOURCE format: delivers the bytes without the registry header", async () => {
    const { mapping, id } = setup("SOURCE");
    const avroBytes = type.toBuffer({ id: "a", amount: 2 });

    const { ready } = await mapping.stage([pending(0, encodeConfluentFrame(id, avroBytes))]);

    expect(Buffer.from(ready[0]?.record.event.value as string, "base64").equals(avroBytes)).toBe(true);
  });

  it("sends unknown schemas as SCHEMA_NOT_FOUND and bad bytes as DESERIALIZATION_ERROR", async () => {
    const { mapping, id } = setup("JSON");
    const good = pending(2, encodeConfluentFrame(id, type.toBuffer({ id: "a", amount: 2 })));

    const { ready, failed } = await mapping.stage([
      pending(0, encodeConfluentFrame(77, Buffer.from([1]))),
      pending(1, encodeConfluentFrame(id, Buffer.from([9]))),
      good,
      pending(3, Buffer.from("plain text")),
    ]);

    expect(ready.map((p) => p.offset)).toEqual([2]);
    expect(failed.map((f) => [f.condition, f.records.map((p) => p.offset)])).toEqual([
      ["SCHEMA_NOT_FOUND", [0]],
      ["DESERIALIZATION_ERROR", [1, 3]],
    ]);
  });

  it("converts a record once, however often it is redelivered; throws while the registry is down", async () => {
    const { mapping, registry, id } = setup("JSON");
    const record = pending(0, encodeConfluentFrame(id, type.toBuffer({ id: "a", amount: 2 })));
    registry.down = true;
    await expect(mapping.stage([record])).rejects.toMatchObject({ name: "SchemaRegistryUnavailableError" });
    registry.down = false;

    const first = await mapping.stage([record]);
    const again = await mapping.stage(first.ready);

    expect(again.ready[0]?.record).toBe(first.ready[0]?.record);
  });
});
