import { describe, expect, it } from "vitest";
import { TransientError } from "../../../functions/lib/core/errors";
import { REDRIVE_HEADERS } from "../../../functions/lib/core/headers";
import {
  KafkaBatchProcessor,
  type KafkaBatchProcessorOptions,
} from "../../../functions/lib/core/KafkaBatchProcessor";
import { pipelines } from "../../../functions/processor/pipelines";
import { fakeClock } from "../../doubles/fakeClock";
import { MemoryArchive, MemoryMessageSink } from "../../doubles/memorySinks";
import {
  MemoryAttemptLedger,
  MemoryDeadLetterIndex,
  MemoryProducedRecordStore,
} from "../../doubles/memoryStores";
import { buildEvent, lambdaContext } from "../../fixtures";

const employee = (offset: number, age: number) => ({
  topic: "employees",
  partition: 0,
  offset,
  value: { "Employee-Number": offset, name: "E", age },
});

function processorWith(options: Partial<KafkaBatchProcessorOptions>) {
  return new KafkaBatchProcessor({
    pipelines,
    sink: new MemoryMessageSink(),
    archive: new MemoryArchive(),
    deadlineSafetyMs: 59_000,
    ...fakeClock(),
    random: () => 1,
    ...options,
  });
}

describe("dead-letter index", () => {
  it("indexes each dead letter with its archive line, DLQ offset and redrive count", async () => {
    const index = new MemoryDeadLetterIndex();
    const event = buildEvent([employee(1, -1), employee(2, 30), employee(3, 0)]);
    const redriven = event.records["employees-0"]?.[2];
    const records = {
      "employees-0": [
        event.records["employees-0"]?.[0],
        event.records["employees-0"]?.[1],
        { ...redriven, headers: [{ [REDRIVE_HEADERS.count]: [...Buffer.from("2")] }] },
      ],
    };

    await processorWith({ index }).process({ ...event, records } as typeof event, lambdaContext());

    expect(
      [...index.entries.values()].map((e) => [e.envelope.id, e.archiveLine, e.dlq, e.redriveCount]),
    ).toEqual([
      [expect.stringMatching(/^employees:0:1@[0-9a-f]{10}$/), 0, { partition: 0, offset: 0 }, 0],
      [expect.stringMatching(/^employees:0:3@[0-9a-f]{10}$/), 1, { partition: 0, offset: 1 }, 2],
    ]);
  });

  it("does not acknowledge a dead letter the index could not record", async () => {
    const index = new MemoryDeadLetterIndex(() => new TransientError("DynamoDB 500"));

    const result = await processorWith({ index }).process(
      buildEvent([employee(1, -1), employee(2, 30)]),
      lambdaContext(60_000),
    );

    expect(result.outcomes.map((o) => o.kind)).toEqual(["retry", "retry"]);
    expect(result.outcomes[0]).toMatchObject({
      errorClass: "DeadLetterWriteError",
      reason: expect.stringContaining("index"),
    });
  });
});

describe("attempt ledger", () => {
  it("dead-letters a record as retries-exhausted after the configured number of transient failures", async () => {
    const ledger = new MemoryAttemptLedger();
    const sink = new MemoryMessageSink((topic) =>
      topic === "employees.processed" ? new TransientError("target down") : undefined,
    );
    const archive = new MemoryArchive();
    const processor = processorWith({ sink, archive, attempts: { ledger, maxTransientFailures: 3 } });
    const event = buildEvent([employee(1, 30), employee(2, 31)]);

    const kinds = [];
    for (let invocation = 0; invocation < 3; invocation += 1) {
      const result = await processor.process(event, lambdaContext(60_000));
      kinds.push(result.outcomes.map((o) => (o.kind === "dead-lettered" ? o.stage : o.kind)).join(","));
    }

    expect(kinds).toEqual(["retry,retry", "retry,retry", "retries-exhausted,retry"]);
    const counted = (prefix: string) => [...ledger.attempts].find(([id]) => id.startsWith(prefix))?.[1];
    expect(counted("employees:0:1@")).toBe(3);
    expect(counted("employees:0:2@")).toBeUndefined();
    const [envelope] = archive.envelopes();
    expect(envelope).toMatchObject({
      attempts: 3,
      error: { stage: "retries-exhausted", class: "RetriesExhaustedError" },
    });
    expect(envelope?.error.message).toContain("target down");
  });
});

describe("idempotency", () => {
  it("does not write a record to the target topic again when Lambda redelivers it", async () => {
    const store = new MemoryProducedRecordStore();
    const sink = new MemoryMessageSink();
    const processor = processorWith({ sink, idempotency: store });
    const event = buildEvent([employee(1, 30), employee(2, 31)]);

    const first = await processor.process(event, lambdaContext());
    const second = await processor.process(event, lambdaContext());

    expect(sink.messages("employees.processed")).toHaveLength(2);
    expect(first.outcomes.map((o) => o.kind)).toEqual(["produced", "produced"]);
    expect(second.outcomes.map((o) => o.kind)).toEqual(["produced", "produced"]);
  });
});
