/**
 * Ordered mode produces a partition's leading good records a request's worth at a time while the
 * rest of the partition is still being planned (issue 11), and the ordering rules still hold.
 */
import { describe, expect, it } from "vitest";
import { TransientError } from "../../../functions/lib/core/errors";
import { KafkaBatchProcessor } from "../../../functions/lib/core/KafkaBatchProcessor";
import { definePipeline } from "../../../functions/lib/core/pipeline";
import type { OutgoingMessage, RecordOutcome } from "../../../functions/lib/core/types";
import { employeeRecords, pipelines } from "../../../functions/processor/pipelines";
import { MemoryArchive, MemoryMessageSink } from "../../doubles/memorySinks";
import { buildEvent, lambdaContext } from "../../fixtures";

const employee = (offset: number, age = 30) => ({
  topic: "employees",
  partition: 0,
  offset,
  value: { "Employee-Number": offset, name: "E", age },
});
const kinds = (outcomes: readonly RecordOutcome[]) =>
  outcomes.map((o) => (o.kind === "dead-lettered" ? o.stage : o.kind));
const sourceOffsets = (messages: readonly OutgoingMessage[]) =>
  messages.map((m) => Number(m.headers.find((h) => h.name === "x-lineage-source-offset")?.value.toString()));

describe("a partition's leading good records, produced while it is planned", () => {
  it("sends the first requests before the last record is planned, all in order", async () => {
    const sink = new MemoryMessageSink();
    let sentBeforeLastPlanned: number | undefined;
    const pipeline = definePipeline({
      sourceTopic: "employees",
      targetTopic: "employees.processed",
      schema: employeeRecords.schema,
      transform: (value, context) => {
        if (context.offset === 19) sentBeforeLastPlanned = sink.messages("employees.processed").length;
        return employeeRecords.transform(value);
      },
    });
    const processor = new KafkaBatchProcessor({
      pipelines: [pipeline],
      sink,
      archive: new MemoryArchive(),
      maxRequestBytes: 1_000,
    });

    const result = await processor.process(
      buildEvent(Array.from({ length: 20 }, (_, i) => employee(i))),
      lambdaContext(),
    );

    expect(kinds(result.outcomes).every((k) => k === "produced")).toBe(true);
    expect(sourceOffsets(sink.messages("employees.processed"))).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    );
    expect(sentBeforeLastPlanned).toBeGreaterThan(0);
  });

  it("produces nothing after an early request that failed, and dead-letters nothing behind it", async () => {
    let targetCalls = 0;
    const sink = new MemoryMessageSink((topic) => {
      if (topic !== "employees.processed") return undefined;
      targetCalls += 1;
      return targetCalls > 1 ? new TransientError("target down") : undefined;
    });
    const processor = new KafkaBatchProcessor({
      pipelines,
      sink,
      archive: new MemoryArchive(),
      maxRequestBytes: 500,
      deadlineSafetyMs: 59_000,
    });
    const records = Array.from({ length: 12 }, (_, i) => employee(i, i === 10 ? -1 : 30));

    const result = await processor.process(buildEvent(records), lambdaContext(60_000));

    const produced = sourceOffsets(sink.messages("employees.processed"));
    expect(produced.length).toBeGreaterThan(0);
    expect(produced).toEqual(Array.from({ length: produced.length }, (_, i) => i));
    expect(sink.messages("employees.dlq")).toEqual([]);
    const firstRetry = result.outcomes.findIndex((o) => o.kind === "retry");
    expect(firstRetry).toBe(produced.length);
    expect(kinds(result.outcomes.slice(firstRetry)).every((k) => k === "retry")).toBe(true);
    expect(result.response.batchItemFailures).toEqual([
      { itemIdentifier: { partition: "employees-0", offset: produced.length } },
    ]);
  });
});
