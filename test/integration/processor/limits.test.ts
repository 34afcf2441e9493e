/**
 * The broker's size limits, for real (issue 9 items 5 and 7): records and dead letters bigger than
 * a topic's `max.message.bytes`, and dead letters that together exceed one request.
 */
import { afterEach, describe, expect, it } from "vitest";
import { KAFKA_PRODUCERS } from "../../../functions/lib/config";
import { LINEAGE_HEADERS } from "../../../functions/lib/core/headers";
import { type PipelineHarness, producerHarness } from "./pipelineHarness";

const employee = (n: number, age: number, padding = 0) =>
  Buffer.from(
    JSON.stringify({
      "Employee-Number": n,
      name: `E${n}`,
      age,
      ...(padding > 0 ? { notes: "n".repeat(padding) } : {}),
    }),
  );

describe.each(KAFKA_PRODUCERS)(
  "the processor at the broker's size limits (KAFKA_PRODUCER=%s)",
  (producer) => {
    const create = producerHarness(producer);
    let harness: PipelineHarness | undefined;
    afterEach(async () => {
      await harness?.close();
      harness = undefined;
    });

    it("dead-letters a record the target refuses before producing the ones after it, keeping it in the archive when the DLQ refuses it too", async () => {
      harness = await create("too-large");
      await harness.createTopics(["source", "target", "dlq"], {
        target: { "max.message.bytes": "20000" },
        dlq: { "max.message.bytes": "25000" },
      });
      // One key: all four go to one target partition, whose batch the broker refuses as a whole.
      await harness.produceSource(
        [0, 1, 2, 3].map((n) => ({ partition: 0, key: "k", value: employee(n, 30, n === 1 ? 30_000 : 0) })),
      );
      const event = await harness.eventFor(4);

      const response = await harness.invoke(event);

      expect(response).toEqual({ batchItemFailures: [] });
      const target = await harness.read("target", 3);
      expect(target.map((r) => r.message.headers?.[LINEAGE_HEADERS.sourceOffset]?.toString())).toEqual(
        ["0", "1", "2"].map((_, i) => String([0, 2, 3][i])),
      );
      const [indexed] = await harness.indexedDeadLetters();
      expect(indexed).toMatchObject({ offset: 1, stage: "produce", errorClass: "ProduceRejectedError" });
      expect(indexed?.dlqOffset).toBeUndefined();
      expect(indexed?.dlqAbsentReason).toMatch(/MESSAGE_TOO_LARGE/);
      expect(await harness.archivedEnvelopes()).toHaveLength(1);
    });

    it("writes 100 dead letters of 12 KB on one partition, more than one request holds", async () => {
      harness = await create("many-large-dead-letters");
      await harness.createTopics();
      const invalid = Array.from({ length: 100 }, (_, i) => ({
        partition: 0,
        key: `k${i}`,
        value: employee(i, -1, 12_000),
      }));
      await harness.produceSource(invalid.slice(0, 50));
      await harness.produceSource(invalid.slice(50));
      const event = await harness.eventFor(100);

      const response = await harness.invoke(event);

      expect(response).toEqual({ batchItemFailures: [] });
      expect(await harness.read("dlq", 100)).toHaveLength(100);
      expect(await harness.indexedDeadLetters()).toHaveLength(100);
    });
  },
);
