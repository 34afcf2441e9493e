/**
 * The processor while the whole cluster is stopped: a fault of the shared stack, so it runs in the
 * serial `stack-faults` project, apart from the rest of the processor's integration tests
 * (`processor.test.ts`), which run beside the other integration files.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startService, stopService } from "../../../stack/stack";
import { PipelineHarness } from "./pipelineHarness";
import { SAMPLE } from "./sampleRecords";

describe("the processor while the broker is down", () => {
  let harness: PipelineHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it("fails the whole batch so Lambda retries it, and processes all of it once the broker is back", async (context) => {
    harness = await PipelineHarness.create("broker-down");
    await harness.createTopics();
    await harness.produceSource(SAMPLE);
    const event = await harness.eventFor(SAMPLE.length);

    const stopped = await stopService("kafka");
    if (stopped.result === "not-running")
      context.skip("the broker is not managed by this checkout (docker compose?)");
    let duringOutage: unknown;
    try {
      duringOutage = await harness.invoke(event, { remainingMs: 5_000 }).catch((error: unknown) => error);
    } finally {
      await startService("kafka");
    }
    const afterRestart = await harness.invoke(event);

    // The bundle's own class: its name, stable through minification, is what AWS reports.
    expect((duringOutage as Error).name).toBe("BatchRetryError");
    expect(afterRestart).toEqual({ batchItemFailures: [] });
    expect(await harness.read("target", 9)).toHaveLength(9);
    expect(await harness.read("dlq", 9)).toHaveLength(9);
  }, 180_000);
});
