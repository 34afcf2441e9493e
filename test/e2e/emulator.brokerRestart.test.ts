import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startService, stopService } from "../../stack/stack";
import { EmulatorScenario } from "./emulatorScenario";

const DOWNTIME_MS = 3_000;

describe("the broker stopped and restarted mid-run", () => {
  const scenario = new EmulatorScenario("broker-restart");

  beforeAll(async () => {
    await scenario.createTopics();
    await scenario.produce({ seed: 23, count: 240, badShare: 0.2 });
  });
  afterAll(async () => {
    // Whatever happened, leave the broker running for the next test.
    await startService("kafka");
    await scenario.cleanup();
  });

  it("recovers consuming, producing and committing, and loses nothing", async (context) => {
    let outage: Promise<"injected" | "not ours"> | undefined;
    const emulator = scenario.emulator(
      // Each invocation waits a little, so the broker goes away while batches are still coming.
      await scenario.function({ env: { KAFKA_REQUEST_TIMEOUT_MS: "2000" }, delayMs: 150 }),
      { batchSize: 10, timeoutS: 6, retryAttempts: -1 },
      {
        onProgress: (stats) => {
          if (outage !== undefined || stats.invocations < 3) return;
          outage = (async () => {
            const stopped = await stopService("kafka");
            if (stopped.result === "not-running") return "not ours";
            await new Promise((resolve) => setTimeout(resolve, DOWNTIME_MS));
            await startService("kafka");
            return "injected";
          })();
        },
      },
    );

    const run = await scenario.run(emulator, { untilIdleMs: 2_000 });
    const injected = await outage;
    if (injected === "not ours") context.skip("the broker is not managed by this checkout (docker compose?)");

    expect(injected).toBe("injected");
    expect(run.reason).toBe("idle");
    expect(run.stats).toMatchObject({ droppedRecords: 0, outstanding: 0 });
    expect(run.stats.partialResponses + run.stats.functionErrors + run.stats.timeouts).toBeGreaterThan(0);
    const result = await scenario.reconcile("kafka");
    expect(result.missing).toEqual([]);
    expect(result.found.target + result.found["dead-letter"]).toBe(result.produced);
  });
});
