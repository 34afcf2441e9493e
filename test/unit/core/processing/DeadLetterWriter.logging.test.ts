/**
 * How dead letters are logged (issue 11, dead-letter storms): one `warn` line per failure and
 * archive object naming every dead letter it covers, not one line per dead letter.
 */
import { describe, expect, it } from "vitest";
import { KafkaBatchProcessor } from "../../../../functions/lib/core/KafkaBatchProcessor";
import type { ProcessorLogger } from "../../../../functions/lib/core/ports";
import { pipelines } from "../../../../functions/processor/pipelines";
import { fakeClock } from "../../../doubles/fakeClock";
import { MemoryArchive, MemoryMessageSink } from "../../../doubles/memorySinks";
import { buildEvent, lambdaContext } from "../../../fixtures";

const record = (offset: number, value: Record<string, unknown>) => ({
  topic: "employees",
  partition: 0,
  offset,
  value: { "Employee-Number": offset, name: "E", age: 30, ...value },
});

function recordingLogger() {
  const lines: { level: string; message: string; attributes: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (message: string, ...attributes: Record<string, unknown>[]) =>
      lines.push({ level, message, attributes: Object.assign({}, ...attributes) });
  const logger: ProcessorLogger = {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
  };
  return { logger, lines };
}

function processorWith(logger: ProcessorLogger) {
  return new KafkaBatchProcessor({
    pipelines,
    sink: new MemoryMessageSink(),
    archive: new MemoryArchive(),
    logger,
    ...fakeClock(1_763_800_100_000),
    random: () => 0,
  });
}

describe("dead-letter log lines", () => {
  it("names every dead letter of a storm in lines of 250 per failure, not a line per dead letter", async () => {
    const { logger, lines } = recordingLogger();
    const storm = Array.from({ length: 600 }, (_, offset) => record(offset, { age: -1 }));

    await processorWith(logger).process(buildEvent(storm), lambdaContext());

    const dead = lines.filter((l) => l.message === "records dead-lettered");
    expect(dead.map((l) => [l.level, l.attributes.count])).toEqual([
      ["warn", 250],
      ["warn", 250],
      ["warn", 100],
    ]);
    expect(dead.flatMap((l) => l.attributes.offsets as number[])).toEqual(storm.map((r) => r.offset));
    expect(dead.flatMap((l) => l.attributes.recordIds as string[])).toHaveLength(600);
    expect(dead[0]?.attributes).toMatchObject({
      topic: "employees",
      partition: 0,
      stage: "validate",
      errorClass: "SchemaViolationError",
      dlqTopic: "employees.dlq",
      archiveKey: expect.stringContaining("employees-0-0-599"),
    });
  });

  it("gives each failure its own line, so every dead letter keeps its own stage, class and message", async () => {
    const { logger, lines } = recordingLogger();
    const batch = [record(1, { age: -1 }), record(2, { name: 7 }), record(3, { age: -2 })];

    await processorWith(logger).process(buildEvent(batch), lambdaContext());

    const dead = lines.filter((l) => l.message === "records dead-lettered");
    const byOffsets = dead.map((l) => [l.attributes.offsets, l.attributes.errorMessage]);
    expect(byOffsets).toHaveLength(2);
    expect(byOffsets.map(([offsets]) => offsets)).toEqual([[1, 3], [2]]);
    expect(new Set(byOffsets.map(([, message]) => message)).size).toBe(2);
  });
});
