import { describe, expect, it } from "vitest";
import * as z from "zod";
import type { DecodedRecord } from "../../../functions/lib/core/decodeEvent";
import type { RecordError } from "../../../functions/lib/core/errors";
import { definePipeline, type PreparedRecord, parseUtf8Json } from "../../../functions/lib/core/pipeline";
import { employeePipeline, userEventPipeline } from "../../../functions/processor/pipelines";

const record = (value: Buffer | null): DecodedRecord => ({
  topic: "employees",
  partition: 0,
  offset: 1,
  timestamp: 0,
  timestampType: "CREATE_TIME",
  key: Buffer.from("k"),
  value,
  headers: [],
  decodeError: undefined,
  raw: { topic: "employees", partition: 0, offset: 1, timestamp: 0, timestampType: "CREATE_TIME" },
});
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const prepareSync = (pipeline: typeof employeePipeline, value: Buffer | null) =>
  pipeline.prepare(record(value)) as PreparedRecord;

describe("the employee pipeline", () => {
  it("turns the employee number into EMP-<number>", () => {
    const result = prepareSync(employeePipeline, json({ "Employee-Number": 42, name: "Ada", age: 36 }));

    expect(result.ok && JSON.parse(result.value?.toString() ?? "")).toEqual({
      "Employee-Number": "EMP-42",
      name: "Ada",
      age: 36,
    });
  });

  it.each([
    ["a negative age", { "Employee-Number": 1, name: "A", age: -3 }, "age"],
    ["a fractional age", { "Employee-Number": 1, name: "A", age: 3.5 }, "age"],
    ["no name", { "Employee-Number": 1, age: 30 }, "name"],
    ["a string employee number", { "Employee-Number": "1", name: "A", age: 30 }, "Employee-Number"],
  ])("rejects %s as a schema violation naming the field", (_case, value, field) => {
    const result = prepareSync(employeePipeline, json(value));

    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect((result.error as RecordError).stage).toBe("validate");
      expect(result.error.message.startsWith(`${field}: `)).toBe(true);
    }
  });

  it("forwards tombstones by default", () => {
    expect(prepareSync(employeePipeline, null)).toEqual({ ok: true, value: null });
  });
});

describe("the user event pipeline", () => {
  it("requires user_id and action and normalises the action", () => {
    const good = prepareSync(userEventPipeline, json({ user_id: "u", action: " Login " }));
    const bad = prepareSync(userEventPipeline, json({ action: "login" }));

    expect(good.ok && JSON.parse(good.value?.toString() ?? "")).toEqual({ user_id: "u", action: "login" });
    expect(!bad.ok && bad.error.message).toMatch(/^user_id: /);
  });
});

describe("definePipeline", () => {
  it("dead-letters tombstones when told to", () => {
    const pipeline = definePipeline({
      sourceTopic: "a",
      targetTopic: "b",
      schema: z.unknown(),
      transform: (v) => v,
      tombstones: "dead-letter",
    });

    const result = pipeline.prepare(record(null)) as PreparedRecord;

    expect(!result.ok && (result.error as RecordError).stage).toBe("decode");
    expect(pipeline.dlqTopic).toBe("a.dlq");
  });

  it("uses custom deserializers and serializers, and reports a serializer failure as a transform error", () => {
    const pipeline = definePipeline({
      sourceTopic: "csv",
      targetTopic: "csv.out",
      dlqTopic: "csv.dead",
      schema: z.array(z.string()),
      deserialize: (bytes) => bytes.toString().split(","),
      transform: (cells) => cells.length,
      serialize: (count) => {
        if (count > 2) throw new RangeError("too many cells");
        return Buffer.from(String(count));
      },
    });

    const ok = pipeline.prepare(record(Buffer.from("a,b"))) as PreparedRecord;
    const failed = pipeline.prepare(record(Buffer.from("a,b,c"))) as PreparedRecord;

    expect(ok.ok && ok.value?.toString()).toBe("2");
    expect(!failed.ok && [(failed.error as RecordError).stage, failed.error.message]).toEqual([
      "transform",
      "RangeError: too many cells",
    ]);
    expect(pipeline.dlqTopic).toBe("csv.dead");
  });
});

describe("parseUtf8Json", () => {
  it.each([
    ["invalid UTF-8", Buffer.from([0xc3, 0x28]), "value is not valid UTF-8"],
    ["truncated JSON", Buffer.from('{"a":'), /^value is not valid JSON/],
    ["an empty value", Buffer.alloc(0), /^value is not valid JSON/],
  ])("rejects %s with a decode error", (_case, bytes, message) => {
    expect(() => parseUtf8Json(bytes)).toThrow(message);
  });
});
