/**
 * Fuzz target of the event decoder and the handler (issue 10): thousands of generated events, with
 * the sinks failing at random. The only crashes allowed are the documented whole-batch rejections
 * (MalformedEventError: not a Kafka event; BatchRetryError: nothing could be done), and no response
 * may acknowledge a record the handler did not durably place in the target or the dead-letter sinks.
 *
 * `npm test` runs FUZZ_RUNS (default 600) events; `npm run fuzz` runs 10,000.
 */
import type { Context } from "aws-lambda";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TransientError } from "../../../functions/lib/core/errors";
import { DEAD_LETTER_HEADERS, LINEAGE_HEADERS } from "../../../functions/lib/core/headers";
import { KafkaBatchProcessor } from "../../../functions/lib/core/KafkaBatchProcessor";
import type { KafkaBatchResponse, OutgoingMessage } from "../../../functions/lib/core/types";
import { withKafkaBatchProcessing } from "../../../functions/lib/lambda/withKafkaBatchProcessing";
import { pipelines } from "../../../functions/processor/pipelines";
import { fakeClock } from "../../doubles/fakeClock";
import { MemoryArchive, MemoryMessageSink } from "../../doubles/memorySinks";
import { MemoryDeadLetterIndex } from "../../doubles/memoryStores";
import { lambdaContext } from "../../fixtures";
import { invocationEventArb } from "./eventArbitraries";

const RUNS = Number(process.env.FUZZ_RUNS ?? 600);
const ALLOWED_REJECTIONS = new Set(["MalformedEventError", "BatchRetryError"]);

const header = (m: OutgoingMessage, name: string) => m.headers.find((h) => h.name === name)?.value.toString();

interface Placed {
  readonly produced: Set<string>;
  readonly dlq: Set<string>;
  readonly archived: Set<string>;
  readonly indexed: Set<string>;
}

function placed(sink: MemoryMessageSink, archive: MemoryArchive, index: MemoryDeadLetterIndex): Placed {
  const produced = new Set<string>();
  const dlq = new Set<string>();
  for (const [topic, messages] of sink.topics) {
    for (const m of messages) {
      if (topic.endsWith(".dlq")) {
        dlq.add(
          `${header(m, DEAD_LETTER_HEADERS.originalTopic)}-${header(m, DEAD_LETTER_HEADERS.originalPartition)}@${header(m, DEAD_LETTER_HEADERS.originalOffset)}`,
        );
      } else {
        produced.add(
          `${header(m, LINEAGE_HEADERS.sourceTopic)}-${header(m, LINEAGE_HEADERS.sourcePartition)}@${header(m, LINEAGE_HEADERS.sourceOffset)}`,
        );
      }
    }
  }
  const at = (s: { topic: string; partition: number; offset: number }) =>
    `${s.topic}-${s.partition}@${s.offset}`;
  return {
    produced,
    dlq,
    archived: new Set(archive.envelopes().map((e) => at(e.source))),
    indexed: new Set([...index.entries.values()].map((e) => at(e.envelope.source))),
  };
}

/** Records whose coordinates identify them: the others make the whole event malformed. */
function recordsOf(event: unknown): { id: string; topic: string; partition: number; offset: number }[] {
  const records = (event as { records?: unknown } | null)?.records;
  if (typeof records !== "object" || records === null) return [];
  return Object.values(records).flatMap((group) =>
    (Array.isArray(group) ? group : []).map((r: { topic: string; partition: number; offset: number }) => ({
      id: `${r.topic}-${r.partition}`,
      topic: r.topic,
      partition: r.partition,
      offset: r.offset,
    })),
  );
}

describe(`fuzzing the handler with ${RUNS} generated events`, () => {
  it("never crashes but as documented, and never acknowledges a record it did not place", async () => {
    let rejected = 0;
    let acknowledged = 0;
    await fc.assert(
      fc.asyncProperty(
        invocationEventArb,
        fc.array(fc.boolean(), { minLength: 1, maxLength: 6 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        async (event, sinkFails, archiveFails, ordered) => {
          const fail = (script: boolean[]) => (_: string, call: number) =>
            script[call % script.length] ? new TransientError("injected") : undefined;
          const sink = new MemoryMessageSink(fail(sinkFails));
          const archive = new MemoryArchive(fail(archiveFails));
          const index = new MemoryDeadLetterIndex();
          const processor = new KafkaBatchProcessor({
            pipelines,
            sink,
            archive,
            index,
            ordered,
            ...fakeClock(1_763_800_100_000),
            random: () => 0.5,
          });
          const handler = withKafkaBatchProcessing({ processor });

          let response: KafkaBatchResponse;
          try {
            response = await handler(event, lambdaContext(5_000) as unknown as Context);
          } catch (error) {
            rejected += 1;
            expect(ALLOWED_REJECTIONS, `${(error as Error).name}: ${(error as Error).message}`).toContain(
              (error as Error).name,
            );
            return;
          }

          const records = recordsOf(event);
          const reported = new Map<string, number>();
          for (const failure of response.batchItemFailures) {
            const { partition: id, offset } = failure.itemIdentifier as { partition: string; offset: number };
            expect(
              records.some((r) => r.id === id && r.offset === offset),
              `reported ${id}@${offset} is in the event`,
            ).toBe(true);
            expect(reported.has(id), `one entry per partition: ${id}`).toBe(false);
            reported.set(id, offset);
          }
          const where = placed(sink, archive, index);
          for (const r of records) {
            if (r.offset >= (reported.get(r.id) ?? Number.POSITIVE_INFINITY)) continue;
            acknowledged += 1;
            const key = `${r.id}@${r.offset}`;
            const deadLettered = where.dlq.has(key) || where.archived.has(key);
            if (deadLettered) {
              expect(
                where.archived.has(key) && where.indexed.has(key),
                `${key} is in the archive and the index`,
              ).toBe(true);
            } else {
              expect(where.produced.has(key), `${key} acknowledged: produced or dead-lettered`).toBe(true);
            }
          }
        },
      ),
      { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? 20261201) },
    );
    expect(rejected).toBeGreaterThan(0);
    expect(acknowledged).toBeGreaterThan(0);
  }, 600_000);
});
