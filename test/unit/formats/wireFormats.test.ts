import { deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { SchemaDecodeError } from "../../../functions/lib/core/errors";
import {
  encodeConfluentFrame,
  encodeMessageIndexes,
  parseConfluentFrame,
  readMessageIndexes,
} from "../../../functions/lib/formats/confluentWire";
import { encodeGlueFrame, parseGlueFrame } from "../../../functions/lib/formats/glueWire";

describe("Confluent wire format", () => {
  it("reads the magic byte and the big-endian schema id", () => {
    const bytes = Buffer.from([0, 0x00, 0x01, 0x02, 0x03, 0xaa, 0xbb]);

    const frame = parseConfluentFrame(bytes);

    expect(frame.schemaId).toBe(0x010203);
    expect([...frame.body]).toEqual([0xaa, 0xbb]);
  });

  it("reads ids above 2^31 as unsigned", () => {
    expect(parseConfluentFrame(Buffer.from([0, 0xff, 0xff, 0xff, 0xfe])).schemaId).toBe(4_294_967_294);
  });

  it.each([
    ["JSON text", Buffer.from('{"a":1}')],
    ["too short", Buffer.from([0, 0, 0, 1])],
    ["another magic byte", Buffer.from([1, 0, 0, 0, 1, 2])],
  ])("refuses %s with a decode error that names no schema", (_, bytes) => {
    const error = (() => {
      try {
        parseConfluentFrame(bytes);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(SchemaDecodeError);
    expect((error as SchemaDecodeError).schema).toEqual({ format: "unknown", schemaId: undefined });
    expect((error as SchemaDecodeError).stage).toBe("decode");
  });

  it("round-trips a frame", () => {
    const framed = encodeConfluentFrame(42, Buffer.from("xyz"));
    expect([...framed.subarray(0, 5)]).toEqual([0, 0, 0, 0, 42]);
    expect(parseConfluentFrame(framed).body.toString()).toBe("xyz");
  });

  describe("Protobuf message indexes", () => {
    it("reads the single byte 0 as [0]", () => {
      const { indexes, payload } = readMessageIndexes(Buffer.from([0, 0x0a, 0x01]));
      expect(indexes).toEqual([0]);
      expect([...payload]).toEqual([0x0a, 0x01]);
    });

    it("reads a zig-zag count and path", () => {
      // count 2 -> 4, indexes 1 -> 2 and 0 -> 0 (zig-zag), then the payload.
      const { indexes, payload } = readMessageIndexes(Buffer.from([4, 2, 0, 0x08]));
      expect(indexes).toEqual([1, 0]);
      expect([...payload]).toEqual([0x08]);
    });

    it.each([[[0]], [[1]], [[1, 0]], [[3, 200, 70000]]])("writes %j as it reads it", (path) => {
      const bytes = Buffer.concat([encodeMessageIndexes(path), Buffer.from([9])]);
      expect(readMessageIndexes(bytes)).toEqual({ indexes: path, payload: Buffer.from([9]) });
    });

    it("refuses truncated or absurd indexes", () => {
      expect(() => readMessageIndexes(Buffer.from([0x80]))).toThrow(RangeError);
      expect(() => readMessageIndexes(Buffer.from([0xfe, 0x7f]))).toThrow(RangeError);
    });
  });
});

describe("AWS Glue wire format", () => {
  const uuid = "b7b4a7f0-9c1e-4a55-8d3c-0123456789ab";
  // Built by hand from the serializer's documented layout: version 3, compression, UUID, payload.
  const header = (compression: number) =>
    Buffer.concat([Buffer.from([3, compression]), Buffer.from(uuid.replaceAll("-", ""), "hex")]);

  it("reads an uncompressed record", () => {
    const frame = parseGlueFrame(Buffer.concat([header(0), Buffer.from("avro-bytes")]));

    expect(frame).toEqual({ schemaVersionId: uuid, compressed: false, payload: Buffer.from("avro-bytes") });
  });

  it("inflates a zlib-compressed record", () => {
    const frame = parseGlueFrame(Buffer.concat([header(5), deflateSync(Buffer.from("avro-bytes"))]));

    expect(frame.compressed).toBe(true);
    expect(frame.payload.toString()).toBe("avro-bytes");
  });

  it("names the schema version when the compressed body is broken", () => {
    expect(() => parseGlueFrame(Buffer.concat([header(5), Buffer.from("not zlib")]))).toThrow(
      expect.objectContaining({ name: "SchemaDecodeError", schema: { format: "unknown", schemaId: uuid } }),
    );
  });

  it.each([
    ["another version byte", Buffer.concat([Buffer.from([2, 0]), Buffer.alloc(16)])],
    ["an unknown compression byte", Buffer.concat([Buffer.from([3, 1]), Buffer.alloc(16)])],
    ["a short header", Buffer.from([3, 0, 1, 2])],
  ])("refuses %s", (_, bytes) => {
    expect(() => parseGlueFrame(bytes)).toThrow(SchemaDecodeError);
  });

  it("writes the layout it reads", () => {
    const framed = encodeGlueFrame(uuid, Buffer.from("p"), null);
    expect(framed.equals(Buffer.concat([header(0), Buffer.from("p")]))).toBe(true);
  });
});
