import { describe, expect, it } from "vitest";
import { decodeKafkaEvent } from "../../../functions/lib/core/decodeEvent";
import { KafkaBatchProcessor } from "../../../functions/lib/core/KafkaBatchProcessor";
import { parseUtf8Json } from "../../../functions/lib/core/pipeline";
import { employeePipeline, pipelines, userEventPipeline } from "../../../functions/processor/pipelines";
import { fakeClock } from "../../doubles/fakeClock";
import { MemoryArchive, MemoryMessageSink } from "../../doubles/memorySinks";
import { buildEvent, lambdaContext } from "../../fixtures";

const record = (value: unknown) => ({
  topic: "t",
  partition: 0,
  offset: 1,
  timestamp: 1_700_000_000_000,
  timestampType: "CREATE_TIME",
  key: null,
  value: Buffer.from(JSON.stringify(value)),
  headers: [],
});

describe("JSON parse errors never carry payload text (issue 9 item 10)", () => {
  it.each([
    ['{"pin":"9876","x":y}', "9876"],
    ["{'secret': 1}", "secret"],
    ['{"a": tru}', "tru"],
    ["[1, 2, SECRET]", "SECRET"],
    ['{"card":"4111111111111111" "b":1}', "4111"],
  ])("%s", (text, fragment) => {
    let message = "";
    try {
      parseUtf8Json(Buffer.from(text));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^value is not valid JSON/);
    expect(message).not.toContain(fragment);
  });
});

describe("example pipelines keep what they do not name (issue 9 item 12)", () => {
  it("forwards employee fields the schema does not list", () => {
    const result = employeePipeline.prepare(
      record({ "Employee-Number": 7, name: "Ada", age: 36, dept: "ops" }),
    );
    expect(result).toMatchObject({ ok: true });
    const value = JSON.parse((result as { value: Buffer }).value.toString());
    expect(value).toEqual({ "Employee-Number": "EMP-7", name: "Ada", age: 36, dept: "ops" });
  });

  it("accepts the documents' own user event with a numeric user_id", () => {
    const result = userEventPipeline.prepare(record({ user_id: 1, action: "LOGIN", extra: true }));
    expect(result).toMatchObject({ ok: true });
    const value = JSON.parse((result as { value: Buffer }).value.toString());
    expect(value).toEqual({ user_id: 1, action: "login", extra: true });
  });

  it("still rejects what the schema forbids", () => {
    expect(employeePipeline.prepare(record({ "Employee-Number": 7, name: "Ada", age: -1 }))).toMatchObject({
      ok: false,
    });
  });
});

describe("timestamps outside the Date range (issue 9 item 8)", () => {
  it.each([8.64e15 + 1, -8.64e15 - 1, 1_700_000_000_000_000_000])(
    "%s is a decode failure, not a crash",
    (ts) => {
      const event = buildEvent([
        { topic: "employees", partition: 0, offset: 1, value: { a: 1 }, timestamp: ts },
      ]);
      const batch = decodeKafkaEvent(event);
      const decoded = batch.partitions[0]?.records[0];
      expect(decoded?.decodeError?.message).toMatch(/timestamp/);
    },
  );
});

describe("a batch holding an out-of-range timestamp (issue 9 item 8)", () => {
  it("dead-letters that record as decode and produces the others", async () => {
    const sink = new MemoryMessageSink();
    const archive = new MemoryArchive();
    const processor = new KafkaBatchProcessor({ pipelines, sink, archive, ...fakeClock(1_763_800_100_000) });
    const event = buildEvent([
      { topic: "employees", partition: 0, offset: 1, value: { "Employee-Number": 1, name: "A", age: 3 } },
      {
        topic: "employees",
        partition: 0,
        offset: 2,
        value: { "Employee-Number": 2, name: "B", age: 3 },
        timestamp: 1.7e18,
      },
      { topic: "employees", partition: 0, offset: 3, value: { "Employee-Number": 3, name: "C", age: 3 } },
    ]);

    const result = await processor.process(event, lambdaContext());

    expect(result.outcomes.map((o) => o.kind)).toEqual(["produced", "dead-lettered", "produced"]);
    expect(result.response.batchItemFailures).toEqual([]);
    expect(archive.envelopes()[0]?.archiveKey).toContain("date=unknown");
  });
});
