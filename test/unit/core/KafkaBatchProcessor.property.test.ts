import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TransientError } from "../../../functions/lib/core/errors";
import { DEAD_LETTER_HEADERS, LINEAGE_HEADERS } from "../../../functions/lib/core/headers";
import { KafkaBatchProcessor } from "../../../functions/lib/core/KafkaBatchProcessor";
import type { KafkaEvent, KafkaEventRecord, OutgoingMessage } from "../../../functions/lib/core/types";
import { pipelines } from "../../../functions/processor/pipelines";
import { fakeClock } from "../../doubles/fakeClock";
import { MemoryArchive, MemoryMessageSink } from "../../doubles/memorySinks";
import { lambdaContext } from "../../fixtures";

const RECORD_KINDS = ["valid", "invalid-json", "schema-invalid", "tombstone", "non-utf8"] as const;
type RecordKind = (typeof RECORD_KINDS)[number];

function encodedValue(kind: RecordKind, n: number): string | null {
  switch (kind) {
    case "valid":
      return Buffer.from(
        JSON.stringify({ "Employee-Number": n, name: `E${n}`, age: 20 + (n % 40) }),
      ).toString("base64");
    case "invalid-json":
      return Buffer.from(`{"Employee-Number": ${n},`).toString("base64");
    case "schema-invalid":
      return Buffer.from(JSON.stringify({ "Employee-Number": n, name: `E${n}`, age: -n })).toString("base64");
    case "tombstone":
      return null;
    case "non-utf8":
      return Buffer.from([0xc3, 0x28, n % 256]).toString("base64");
  }
}

const partitionArb = fc.record({
  topic: fc.constantFrom("employees", "user-events", "orders-v2"),
  partition: fc.integer({ min: 0, max: 5 }),
  firstOffset: fc.integer({ min: 0, max: 1_000_000 }),
  gaps: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 12 }),
  kinds: fc.array(fc.constantFrom(...RECORD_KINDS), { minLength: 12, maxLength: 12 }),
});

const scenarioArb = fc.record({
  partitions: fc.uniqueArray(partitionArb, {
    minLength: 1,
    maxLength: 4,
    selector: (p) => `${p.topic}-${p.partition}`,
  }),
  ordered: fc.boolean(),
  sinkFailures: fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
  archiveFailures: fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer S> ? S : never;

function eventOf(scenario: Scenario): KafkaEvent {
  const records: Record<string, KafkaEventRecord[]> = {};
  for (const p of scenario.partitions) {
    let offset = p.firstOffset;
    records[`${p.topic}-${p.partition}`] = p.gaps.map((gap, i) => {
      offset += gap;
      return {
        topic: p.topic,
        partition: p.partition,
        offset,
        timestamp: 1_763_800_000_000 + offset,
        timestampType: "CREATE_TIME",
        key: Buffer.from(`k${offset}`).toString("base64"),
        value: encodedValue(p.kinds[i] ?? "valid", offset),
        headers: [],
      };
    });
  }
  return { eventSource: "aws:kafka", records };
}

const failEvery = (flags: readonly boolean[]) => (_: string, call: number) =>
  flags[call % flags.length] ? new TransientError("flaky") : undefined;

/** `<topic>-<partition>@<offset>` of the source record a written message names in its headers. */
const coordinates = (
  m: OutgoingMessage,
  names: { readonly topic: string; readonly partition: string; readonly offset: string },
) => {
  const value = (name: string) => m.headers.find((h) => h.name === name)?.value;
  return `${value(names.topic)}-${value(names.partition)}@${value(names.offset)}`;
};

describe("KafkaBatchProcessor invariants", () => {
  it("gives every record exactly one outcome, durably backed, and a response Lambda can apply", async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const sink = new MemoryMessageSink(failEvery(scenario.sinkFailures));
        const archive = new MemoryArchive(failEvery(scenario.archiveFailures));
        const processor = new KafkaBatchProcessor({
          pipelines,
          sink,
          archive,
          ordered: scenario.ordered,
          deadlineSafetyMs: 1_000,
          ...fakeClock(),
          random: () => 0.5,
        });
        const event = eventOf(scenario);
        const inEvent = Object.values(event.records).flat();

        const { outcomes, response } = await processor.process(event, lambdaContext(3_000));

        // Exactly one outcome per record.
        const ids = outcomes.map((o) => `${o.record.topic}-${o.record.partition}@${o.record.offset}`);
        expect(new Set(ids).size).toBe(inEvent.length);
        expect(ids.sort()).toEqual(inEvent.map((r) => `${r.topic}-${r.partition}@${r.offset}`).sort());

        // Acknowledged means durably written.
        const targets = new Set(
          [...sink.topics.entries()]
            .filter(([topic]) => !topic.endsWith(".dlq"))
            .flatMap(([, ms]) =>
              ms.map((m) =>
                coordinates(m, {
                  topic: LINEAGE_HEADERS.sourceTopic,
                  partition: LINEAGE_HEADERS.sourcePartition,
                  offset: LINEAGE_HEADERS.sourceOffset,
                }),
              ),
            ),
        );
        const deadInTopic = new Set(
          [...sink.topics.entries()]
            .filter(([topic]) => topic.endsWith(".dlq"))
            .flatMap(([, ms]) =>
              ms.map((m) =>
                coordinates(m, {
                  topic: DEAD_LETTER_HEADERS.originalTopic,
                  partition: DEAD_LETTER_HEADERS.originalPartition,
                  offset: DEAD_LETTER_HEADERS.originalOffset,
                }),
              ),
            ),
        );
        // Partitions of one topic share offsets: every id names its partition.
        const archived = new Set(
          archive.envelopes().map((e) => `${e.source.topic}-${e.source.partition}@${e.source.offset}`),
        );
        for (const outcome of outcomes) {
          const id = `${outcome.record.topic}-${outcome.record.partition}@${outcome.record.offset}`;
          if (outcome.kind === "produced") expect(targets.has(id)).toBe(true);
          if (outcome.kind === "dead-lettered") {
            expect(deadInTopic.has(id)).toBe(true);
            expect(archived.has(id)).toBe(true);
          }
        }

        // One entry per partition, at its lowest offset not done, naming a record of the event.
        const reported = response.batchItemFailures.map((f) => f.itemIdentifier);
        expect(new Set(reported.map((r) => r.partition)).size).toBe(reported.length);
        for (const partition of scenario.partitions) {
          const id = `${partition.topic}-${partition.partition}`;
          const retries = outcomes.filter(
            (o) => o.kind === "retry" && `${o.record.topic}-${o.record.partition}` === id,
          );
          const entry = reported.find((r) => r.partition === id);
          if (retries.length === 0) {
            expect(entry).toBeUndefined();
            continue;
          }
          const lowest = Math.min(...retries.map((o) => o.record.offset));
          expect(entry?.offset).toBe(lowest);
          expect(event.records[id]?.some((r) => r.offset === lowest)).toBe(true);
          if (scenario.ordered) {
            const doneAfter = outcomes.filter(
              (o) =>
                `${o.record.topic}-${o.record.partition}` === id &&
                o.record.offset > lowest &&
                o.kind !== "retry",
            );
            expect(doneAfter).toEqual([]);
            // Nothing at or after the resume point reached the target topic in this invocation.
            const overtaking = [...targets].filter((t) => {
              const [source, offset] = t.split("@");
              return (
                source === id &&
                Number(offset) >= lowest &&
                event.records[id]?.some((r) => r.offset === Number(offset))
              );
            });
            expect(overtaking).toEqual([]);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
