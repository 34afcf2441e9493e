/**
 * The processor while the whole cluster is stopped, with either producer: a fault of the shared
 * stack, so it runs in the serial `stack-faults` project, apart from the rest of the processor's
 * integration tests (`processor.test.ts`), which run beside the other integration files.
 */
import { afterEach, describe, expect, it } from "vitest";
import { KAFKA_PRODUCERS } from "../../../functions/lib/config";
import type { KafkaEvent } from "../../../functions/lib/core/types";
import { startService, stopService } from "../../../stack/stack";
import { type PipelineHarness, producerHarness } from "./pipelineHarness";
import { SAMPLE } from "./sampleRecords";

describe("the processor while the broker is down", () => {
  const harnesses: PipelineHarness[] = [];
  afterEach(async () => {
    await Promise.all(harnesses.splice(0).map((h) => h.close()));
  });

  // Both producers through one outage: stopping and restarting the cluster is most of the time.
  it("fails the whole batch so Lambda retries it, and processes all of it once the broker is back, with either producer", async (context) => {
    for (const producer of KAFKA_PRODUCERS) {
      const harness = await producerHarness(producer)("broker-down");
      harnesses.push(harness);
      await harness.createTopics();
      await harness.produceSource(SAMPLE);
    }
    const events: KafkaEvent[] = await Promise.all(harnesses.map((h) => h.eventFor(SAMPLE.length)));

    const stopped = await stopService("kafka");
    if (stopped.result === "not-running")
      context.skip("the broker is not managed by this checkout (docker compose?)");
    let duringOutage: unknown[];
    try {
      duringOutage = await Promise.all(
        harnesses.map((h, i) =>
          h.invoke(events[i] as KafkaEvent, { remainingMs: 5_000 }).catch((error: unknown) => error),
        ),
      );
    } finally {
      await startService("kafka");
    }
    const afterRestart = [];
    for (const [i, h] of harnesses.entries()) afterRestart.push(await h.invoke(events[i] as KafkaEvent));

    for (const [i, harness] of harnesses.entries()) {
      const producer = KAFKA_PRODUCERS[i];
      // The bundle's own class: its name, stable through minification, is what AWS reports.
      expect((duringOutage[i] as Error).name, producer).toBe("BatchRetryError");
      expect(afterRestart[i], producer).toEqual({ batchItemFailures: [] });
      expect(await harness.read("target", 9), producer).toHaveLength(9);
      expect(await harness.read("dlq", 9), producer).toHaveLength(9);
    }
  }, 240_000);
});
