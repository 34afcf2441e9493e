import { describe, expect, it } from "vitest";
import {
  buildInvocationEvent,
  countWithinPayloadCap,
  type EventEnvelope,
  payloadBytes,
  serializeInvocationEvent,
  toPolledRecord,
} from "../../../emulator/eventBuilder";
import { decodeKafkaEvent } from "../../../functions/lib/core/decodeEvent";
import { message, polled } from "./records";

const selfManaged: EventEnvelope = {
  eventSource: "SelfManagedKafka",
  eventSourceArn: undefined,
  bootstrapServers: "127.0.0.1:9092",
};
const msk: EventEnvelope = {
  eventSource: "aws:kafka",
  eventSourceArn: "arn:aws:kafka:us-east-1:000000000000:cluster/local/uuid-1",
  bootstrapServers: "b-1:9098,b-2:9098",
};

describe("toPolledRecord", () => {
  it("encodes key and value in base64, headers as raw bytes grouped by name as kafkajs decodes them, timestamps as numbers", () => {
    const record = toPolledRecord(
      "orders-eu",
      2,
      message(42, '{"id":1}', {
        key: Buffer.from("order-1"),
        headers: { traceId: [Buffer.from("abc"), Buffer.from("def")], bin: Buffer.from([0, 255, 128]) },
      }),
    );

    expect(record.event).toEqual({
      topic: "orders-eu",
      partition: 2,
      offset: 42,
      timestamp: 1_763_800_000_042,
      timestampType: "CREATE_TIME",
      key: Buffer.from("order-1").toString("base64"),
      value: Buffer.from('{"id":1}').toString("base64"),
      headers: [{ traceId: [97, 98, 99] }, { traceId: [100, 101, 102] }, { bin: [0, 255, 128] }],
    });
    expect(record.eventBytes).toBe(Buffer.byteLength(JSON.stringify(record.event)));
  });

  it("takes header names that are Object.prototype members without the prototype's value kafkajs mixes in", () => {
    // kafkajs's decoder reads `obj[name]` of a plain object: for "constructor" it finds Object and
    // keeps it as an earlier value, so a single header arrives as [Object, value].
    const headers = {
      constructor: [Object, Buffer.from("c")],
      ["__proto__"]: [Object.prototype, Buffer.from("p")],
    };
    const record = toPolledRecord("t", 0, message(1, "{}", { headers: headers as never }));

    const expected: Record<string, number[]>[] = [{ constructor: [99] }, { ["__proto__"]: [112] }];
    expect(record.event.headers).toEqual(expected);
  });

  it("keeps null keys and tombstones as null, and reads LOG_APPEND_TIME from the batch", () => {
    const fetched = { ...message(7, null, { key: null }), batchContext: { timestampType: 1 } };

    const record = toPolledRecord("t", 0, fetched);

    expect(record.event).toMatchObject({
      key: null,
      value: null,
      timestampType: "LOG_APPEND_TIME",
      headers: [],
    });
  });
});

describe("buildInvocationEvent", () => {
  it("groups records by <topic>-<partition> in offset order and is read back by the pipeline's decoder", () => {
    const records = [...polled("user-events", 1, [5, 3, 4]), ...polled("user-events", 0, [9])];

    const event = buildInvocationEvent(records, msk);

    expect(event.eventSource).toBe("aws:kafka");
    expect(event.eventSourceArn).toBe(msk.eventSourceArn);
    expect(event.bootstrapServers).toBe("b-1:9098,b-2:9098");
    expect(Object.keys(event.records)).toEqual(["user-events-0", "user-events-1"]);
    expect(event.records["user-events-1"]?.map((r) => r.offset)).toEqual([3, 4, 5]);
    const decoded = decodeKafkaEvent(JSON.parse(JSON.stringify(event)));
    expect(decoded.recordCount).toBe(4);
    expect(decoded.partitions.every((p) => p.records.every((r) => r.decodeError === undefined))).toBe(true);
  });

  it("has no eventSourceArn for self-managed Kafka", () => {
    expect(buildInvocationEvent(polled("t", 0, [1]), selfManaged)).not.toHaveProperty("eventSourceArn");
  });
});

describe("serializeInvocationEvent", () => {
  it("is byte for byte the serialized event, with and without an ARN", () => {
    const records = [...polled("b-topic", 1, [7, 5]), ...polled("a-topic", 0, [3]), ...polled("ü", 2, [1])];

    expect(serializeInvocationEvent(records, msk)).toBe(JSON.stringify(buildInvocationEvent(records, msk)));
    expect(serializeInvocationEvent(records, selfManaged)).toBe(
      JSON.stringify(buildInvocationEvent(records, selfManaged)),
    );
    expect(serializeInvocationEvent([], msk)).toBe(JSON.stringify(buildInvocationEvent([], msk)));
  });
});

describe("payload size", () => {
  it("payloadBytes is exactly the serialized event's size", () => {
    const records = [...polled("a-b", 0, [1, 2]), ...polled("c", 3, [4]), ...polled("ü-topic", 1, [5])];

    expect(payloadBytes(records, msk)).toBe(
      Buffer.byteLength(JSON.stringify(buildInvocationEvent(records, msk))),
    );
    expect(payloadBytes([], selfManaged)).toBe(
      Buffer.byteLength(JSON.stringify(buildInvocationEvent([], selfManaged))),
    );
  });

  it("cuts a batch where the next record would pass the cap, exactly at the boundary", () => {
    const records = [...polled("t", 0, [1, 2, 3]), ...polled("t", 1, [4, 5])];
    const firstThree = payloadBytes(records.slice(0, 3), selfManaged);

    expect(countWithinPayloadCap(records, selfManaged, firstThree)).toBe(3);
    expect(countWithinPayloadCap(records, selfManaged, firstThree - 1)).toBe(2);
    expect(countWithinPayloadCap(records, selfManaged, Number.MAX_SAFE_INTEGER)).toBe(5);
  });

  it("returns 0 when the first record alone is over the cap", () => {
    const big = toPolledRecord("t", 0, message(1, Buffer.alloc(5 * 1024 * 1024, 1)));

    expect(countWithinPayloadCap([big], selfManaged)).toBe(0);
    expect(countWithinPayloadCap(polled("t", 0, [1]), selfManaged)).toBe(1);
  });
});
