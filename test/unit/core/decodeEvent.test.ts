import { describe, expect, it } from "vitest";
import { decodeKafkaEvent, groupKafkaEvent } from "../../../functions/lib/core/decodeEvent";
import { MalformedEventError } from "../../../functions/lib/core/errors";
import { loadEvent } from "../../fixtures";

describe("decodeKafkaEvent", () => {
  it("groups records by their own topic and partition, even when the topic name contains dashes", () => {
    const event = loadEvent("msk-event");

    const batch = decodeKafkaEvent(event);

    expect(batch.partitions.map((p) => [p.id, p.topic, p.partition, p.records.length])).toEqual([
      ["employees-0", "employees", 0, 4],
      ["employees-1", "employees", 1, 3],
      ["user-events-2", "user-events", 2, 2],
    ]);
    expect(batch.recordCount).toBe(9);
    expect(batch.eventSourceArn).toMatch(/^arn:aws:kafka:/);
  });

  it("keeps absent, null and empty keys apart from each other and decodes headers as raw bytes", () => {
    const batch = decodeKafkaEvent(loadEvent("msk-event"));
    const [p0, p1] = batch.partitions;

    expect(p0?.records[3]?.key).toBeNull();
    expect(p1?.records[0]?.key).toBeNull();
    expect(p1?.records[2]?.key).toEqual(Buffer.alloc(0));
    expect(p1?.records[1]?.value).toBeNull();
    expect(p0?.records[0]?.headers.map((h) => [h.name, h.value.toString()])).toEqual([
      ["traceId", "abc"],
      ["traceId", "def"],
    ]);
    expect(p0?.records[2]?.headers[0]?.value).toEqual(Buffer.from([0, 255, 128, 10]));
  });

  it("sorts each partition by offset, whatever order the event had", () => {
    const event = loadEvent("msk-event");
    const group = event.records["employees-0"];
    const reversed = { ...event, records: { ...event.records, "employees-0": [...(group ?? [])].reverse() } };

    const batch = decodeKafkaEvent(reversed);

    expect(batch.partitions[0]?.records.map((r) => r.offset)).toEqual([100, 101, 102, 103]);
  });

  it.each([
    ["value is not base64", { value: "not base64!" }, "value is not valid base64"],
    ["key is a number", { key: 42 }, "key is not a base64 string"],
    ["a header holds a non-byte", { headers: [{ h: [1, 256] }] }, 'header "h" is not an array of bytes'],
    ["headers is not an array", { headers: "h" }, "headers is not an array"],
  ])("marks a record whose %s as undecodable without failing the batch", (_case, change, message) => {
    const event = loadEvent("self-managed-event");
    const records = event.records["user-events-0"] ?? [];
    const changed = { ...event, records: { "user-events-0": [{ ...records[0], ...change }, records[1]] } };

    const batch = decodeKafkaEvent(changed);

    expect(batch.partitions[0]?.records[0]?.decodeError?.message).toBe(message);
    expect(batch.partitions[0]?.records[1]?.decodeError).toBeUndefined();
  });
});

describe("groupKafkaEvent", () => {
  it("groups and sorts the event's own record objects, leaving their bytes to decode later", () => {
    const event = loadEvent("msk-event");
    const group = event.records["employees-0"] ?? [];
    const reversed = { ...event, records: { ...event.records, "employees-0": [...group].reverse() } };

    const batch = groupKafkaEvent(reversed);

    expect(batch.partitions.map((p) => [p.id, p.records.length])).toEqual([
      ["employees-0", 4],
      ["employees-1", 3],
      ["user-events-2", 2],
    ]);
    expect(batch.partitions[0]?.records.map((r) => r.offset)).toEqual([100, 101, 102, 103]);
    // No copy: the records are the event's, still base64.
    expect(batch.partitions[0]?.records[0]).toBe(group[0]);
    expect(typeof batch.partitions[0]?.records[0]?.value).toBe("string");
  });

  it("fails the whole event for a record without coordinates, but not for undecodable bytes", () => {
    const event = loadEvent("self-managed-event");
    const [first, second] = event.records["user-events-0"] ?? [];
    const undecodable = {
      ...event,
      records: { "user-events-0": [{ ...first, value: "not base64!" }, second] },
    };
    const noOffset = { ...event, records: { "user-events-0": [{ ...first, offset: -1 }, second] } };

    expect(groupKafkaEvent(undecodable).recordCount).toBe(2);
    expect(() => groupKafkaEvent(noOffset)).toThrow(MalformedEventError);
  });
});
