import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmulatorScenario } from "./emulatorScenario";

/**
 * The sandbox's faults against the real pipeline: a sandbox SIGKILLed in the middle of an
 * invocation, a response held past the timeout (the writes happened, the mapping never hears of
 * them), and a memory spike past the memory size. Each fails its invocation as Lambda would; the
 * mapping retries; nothing may be lost.
 */
describe("sandbox faults during a run", () => {
  const scenario = new EmulatorScenario("sandbox-faults");

  beforeAll(async () => {
    await scenario.createTopics();
    await scenario.produce({ seed: 31, count: 120, badShare: 0.2 });
  });
  afterAll(() => scenario.cleanup());

  it("kills, timeouts and out-of-memory kills cost retries and cold starts, never a record", async () => {
    const emulator = scenario.emulator(
      await scenario.function({
        mode: "sandbox",
        delayMs: 300,
        faults: {
          killAfterMs: (i) => (i.sequence === 2 || i.sequence === 5 ? 150 : undefined),
          holdResponseMs: (i) => (i.sequence === 3 ? 4_000 : undefined),
          memorySpikeMb: (i) => (i.sequence === 7 ? 512 : undefined),
        },
      }),
      { batchSize: 10, timeoutS: 3, memorySizeMb: 256, retryAttempts: -1 },
    );

    const { stats } = await scenario.run(emulator, { untilIdleMs: 1_500 });

    expect(stats.runtime).toMatchObject({ injectedKills: 2, timeouts: 1, outOfMemory: 1 });
    expect(stats.runtime.coldStarts).toBeGreaterThanOrEqual(5);
    expect(stats.runtime.maxMemoryUsedMb).toBeGreaterThan(256);
    expect(stats).toMatchObject({ timeouts: 1, droppedRecords: 0, outstanding: 0 });
    expect(stats.functionErrors).toBeGreaterThanOrEqual(3);
    const result = await scenario.reconcile("kafka");
    expect(result.missing).toEqual([]);
    expect(result.found.target + result.found["dead-letter"]).toBe(result.produced);
  });
});
