/**
 * The ordered walk's round trips: once a run of a partition has reached the target, the rest of
 * the partition's dead letters and good records are written in two steps, not two requests per
 * dead letter; the ordering rules still hold when a step fails.
 */
import { describe, expect, it } from "vitest";
import { TransientError } from "../../../functions/lib/core/errors";
import { KafkaBatchProcessor } from "../../../functions/lib/core/KafkaBatchProcessor";
import type { OutgoingMessage, RecordOutcome } from "../../../functions/lib/core/types";
import { pipelines } from "../../../functions/processor/pipelines";
import { MemoryArchive, MemoryMessageSink } from "../../doubles/memorySinks";
import { MemoryDeadLetterIndex } from "../../doubles/memoryStores";
import { buildEvent, lambdaContext } from "../../fixtures";

const TARGET = "employees.processed";
const DLQ = "employees.dlq";

const employee = (offset: number, age: number) => ({
  topic: "employees",
  partition: 0,
  offset,
  value: { "Employee-Number": offset, name: "E", age },
});
/** Offsets 0..count-1; every tenth (9, 19, ...) is schema-invalid. */
const everyTenthInvalid = (count: number) =>
  Array.from({ length: count }, (_, i) => employee(i, i % 10 === 9 ? -1 : 30));
const kinds = (outcomes: readonly RecordOutcome[]) =>
  outcomes.map((o) => (o.kind === "dead-lettered" ? o.stage : o.kind));
const sourceOffsets = (messages: readonly OutgoingMessage[]) =>
  messages.map((m) => Number(m.headers.find((h) => h.name === "x-lineage-source-offset")?.value.toString()));

function processor(sink: MemoryMessageSink, index = new MemoryDeadLetterIndex()) {
  return new KafkaBatchProcessor({
    pipelines,
    sink,
    archive: new MemoryArchive(),
    index,
    random: () => 1,
    sleep: async () => {},
    deadlineSafetyMs: 59_000,
  });
}

/** Counts each topic's sends and fails them as `failure` says (by topic and the topic's n-th send). */
class CountingSink extends MemoryMessageSink {
  readonly sends = new Map<string, number>();

  constructor(failure: (topic: string, nth: number) => Error | undefined = () => undefined) {
    const sends = new Map<string, number>();
    super((topic) => {
      const nth = (sends.get(topic) ?? 0) + 1;
      sends.set(topic, nth);
      return failure(topic, nth);
    });
    this.sends = sends;
  }
}

describe("the ordered walk", () => {
  it("writes a partition with 10 dead letters in 3 requests, not 2 per dead letter", async () => {
    const sink = new CountingSink();
    const index = new MemoryDeadLetterIndex();

    const result = await processor(sink, index).process(buildEvent(everyTenthInvalid(100)), lambdaContext());

    expect(kinds(result.outcomes).filter((k) => k === "validate")).toHaveLength(10);
    expect(result.response.batchItemFailures).toEqual([]);
    // The first run (offsets 0-8), every dead letter at once, then the rest of the good records.
    expect(sink.sends.get(TARGET)).toBe(2);
    expect(sink.sends.get(DLQ)).toBe(1);
    expect(sourceOffsets(sink.messages(TARGET))).toEqual(
      Array.from({ length: 100 }, (_, i) => i).filter((i) => i % 10 !== 9),
    );
    expect(index.entries.size).toBe(10);
  });

  it("writes no dead letter ahead while the target has not answered in this invocation", async () => {
    const sink = new CountingSink((topic) =>
      topic === TARGET ? new TransientError("target down") : undefined,
    );
    const event = buildEvent(everyTenthInvalid(30));

    for (let i = 0; i < 3; i += 1) {
      const result = await processor(sink).process(event, lambdaContext(60_000));
      expect(result.response.batchItemFailures).toEqual([
        { itemIdentifier: { partition: "employees-0", offset: 0 } },
      ]);
    }
    expect(sink.messages(DLQ)).toHaveLength(0);
  });

  it("stops the target at the first dead letter that could not be written", async () => {
    const sink = new CountingSink((topic) => (topic === DLQ ? new TransientError("DLQ down") : undefined));

    const result = await processor(sink).process(buildEvent(everyTenthInvalid(30)), lambdaContext(60_000));

    // Offsets 0-8 went out as the first run; nothing after the dead letter at 9 reached the target.
    expect(sourceOffsets(sink.messages(TARGET))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(result.response.batchItemFailures).toEqual([
      { itemIdentifier: { partition: "employees-0", offset: 9 } },
    ]);
    expect(
      kinds(result.outcomes)
        .slice(9)
        .every((k) => k === "retry"),
    ).toBe(true);
  });

  it("writes a dead letter ahead of records that then fail at most once, not on every redelivery", async () => {
    // The target answers the first run, then goes down for good.
    const sink = new CountingSink((topic, nth) =>
      topic === TARGET && nth > 1 ? new TransientError("target down") : undefined,
    );
    const event = buildEvent(everyTenthInvalid(30));

    const first = await processor(sink).process(event, lambdaContext(60_000));
    expect(first.response.batchItemFailures).toEqual([
      { itemIdentifier: { partition: "employees-0", offset: 10 } },
    ]);
    // Reported for retry (Lambda redelivers them), although their copies were written ahead.
    expect(kinds(first.outcomes).slice(9)).toEqual(["validate", ...Array(20).fill("retry")]);
    const copiesAfterFirst = sink.messages(DLQ).length;
    expect(copiesAfterFirst).toBe(3);

    // Lambda redelivers from offset 10; the target is still down.
    const redelivered = buildEvent(everyTenthInvalid(30).slice(10));
    for (let i = 0; i < 3; i += 1) await processor(sink).process(redelivered, lambdaContext(60_000));
    expect(sink.messages(DLQ)).toHaveLength(copiesAfterFirst);
  });
});
