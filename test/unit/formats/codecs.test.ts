import avro from "avsc";
import { describe, expect, it } from "vitest";
import { SchemaViolationError } from "../../../functions/lib/core/errors";
import { avroCodec } from "../../../functions/lib/formats/codecs/avroCodec";
import { jsonSchemaCodec } from "../../../functions/lib/formats/codecs/jsonSchemaCodec";
import { protobufCodec } from "../../../functions/lib/formats/codecs/protobufCodec";
import { ORDER_PROTO, PAYMENT_AVRO_V1, PAYMENT_AVRO_V2, USER_JSON_SCHEMA } from "../../fixtures/schemas";

describe("Avro codec", () => {
  it("decodes with the writer's schema and encodes back", () => {
    const codec = avroCodec(PAYMENT_AVRO_V1, {});
    const bytes = avro.Type.forSchema(JSON.parse(PAYMENT_AVRO_V1)).toBuffer({ id: "p-1", amount: 12.5 });

    const value = codec.decode(bytes, []);

    expect({ ...(value as object) }).toEqual({ id: "p-1", amount: 12.5 });
    expect(codec.encode({ id: "p-1", amount: 12.5 }).payload.equals(bytes)).toBe(true);
  });

  it("resolves a record written with v1 to the v2 reader schema (default filled in)", () => {
    const codec = avroCodec(PAYMENT_AVRO_V1, { avroReaderSchema: PAYMENT_AVRO_V2 });
    const bytes = avro.Type.forSchema(JSON.parse(PAYMENT_AVRO_V1)).toBuffer({ id: "p-1", amount: 1 });

    expect({ ...(codec.decode(bytes, []) as object) }).toEqual({ id: "p-1", amount: 1, currency: "EUR" });
  });

  it("throws on bytes that are not this record", () => {
    expect(() => avroCodec(PAYMENT_AVRO_V1, {}).decode(Buffer.from([0x09]), [])).toThrow();
  });

  it("refuses to encode a value that does not fit, naming the field", () => {
    expect(() => avroCodec(PAYMENT_AVRO_V1, {}).encode({ id: 1, amount: 2 })).toThrow(/id/);
  });
});

describe("Protobuf codec", () => {
  const codec = protobufCodec(ORDER_PROTO, {});

  it("picks the message by Confluent's indexes and hands JSON-safe values to the schema", () => {
    const { payload, messageIndexes } = protobufCodec(ORDER_PROTO, {
      protobufMessage: "example.orders.Order",
    }).encode({
      id: "o-1",
      quantity: "9007199254740993",
      lines: [{ sku: "a" }],
    });
    expect(messageIndexes).toEqual([1]);

    expect(codec.decode(payload, [1])).toEqual({
      id: "o-1",
      quantity: "9007199254740993",
      lines: [{ sku: "a" }],
    });
  });

  it("reads a nested message by its index path", () => {
    const line = protobufCodec(ORDER_PROTO, { protobufMessage: "example.orders.Order.Line" });
    const { payload, messageIndexes } = line.encode({ sku: "x" });
    expect(messageIndexes).toEqual([1, 0]);
    expect(codec.decode(payload, [1, 0])).toEqual({ sku: "x" });
  });

  it("uses the first message when the bytes carry no indexes", () => {
    const { payload } = codec.encode({ source: "pos" });
    expect(codec.decode(payload, [])).toEqual({ source: "pos" });
  });

  it("throws on an index path the schema does not have, and on broken bytes", () => {
    expect(() => codec.decode(Buffer.alloc(0), [7])).toThrow(RangeError);
    expect(() => codec.decode(Buffer.from([0x0a, 0x05, 0x41]), [0])).toThrow();
  });
});

describe("JSON Schema codec", () => {
  const codec = jsonSchemaCodec(USER_JSON_SCHEMA);

  it("parses and validates", () => {
    expect(codec.decode(Buffer.from('{"user_id":1,"action":"login"}'), [])).toEqual({
      user_id: 1,
      action: "login",
    });
  });

  it("rejects a value the schema does not allow as a schema violation naming the path", () => {
    let error: unknown;
    try {
      codec.decode(Buffer.from('{"user_id":"secret-value","action":"login"}'), []);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SchemaViolationError);
    expect((error as SchemaViolationError).issues).toEqual([{ path: "user_id", message: "must be integer" }]);
    expect((error as Error).message).not.toContain("secret-value");
  });

  it("refuses to encode an invalid output", () => {
    expect(() => codec.encode({ user_id: 1 })).toThrow(SchemaViolationError);
  });
});
