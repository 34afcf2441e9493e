import { describe, expect, it } from "vitest";
import { PipelineError, TransientError } from "../../../functions/lib/core/errors";
import { RetryGiveUp, retryWithBackoff } from "../../../functions/lib/core/retry";

function fakeTime(deadlineIn: number) {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    env: {
      deadline: deadlineIn,
      now: () => now,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
      random: () => 1,
    },
  };
}
const policy = { initialDelayMs: 100, maxDelayMs: 1_000 };

describe("retryWithBackoff", () => {
  it("backs off exponentially up to the cap and returns the attempt count", async () => {
    const { env, sleeps } = fakeTime(60_000);
    let calls = 0;

    const result = await retryWithBackoff(
      async () => {
        calls += 1;
        if (calls < 6) throw new TransientError("busy");
        return "done";
      },
      policy,
      env,
    );

    expect(result).toEqual({ value: "done", attempts: 6 });
    expect(sleeps).toEqual([100, 200, 400, 800, 1_000]);
  });

  it("gives up at once on a permanent error or a bug", async () => {
    for (const error of [new PipelineError("no"), new TypeError("bug"), new Error("unknown")]) {
      const { env } = fakeTime(60_000);
      const giveUp = await retryWithBackoff(() => Promise.reject(error), policy, env).catch(
        (e: unknown) => e,
      );
      expect(giveUp).toBeInstanceOf(RetryGiveUp);
      expect((giveUp as RetryGiveUp).attempts).toBe(1);
      expect((giveUp as RetryGiveUp).lastError).toBe(error);
    }
  });

  it("stops before a backoff would cross the deadline", async () => {
    const { env, sleeps } = fakeTime(1_000);

    const giveUp = await retryWithBackoff(
      () => Promise.reject(new TransientError("down")),
      policy,
      env,
    ).catch((e: unknown) => e);

    expect((giveUp as RetryGiveUp).attempts).toBe(4);
    expect(sleeps).toEqual([100, 200, 400]);
  });

  it("abandons an attempt still running at the deadline", async () => {
    const giveUp = await retryWithBackoff(() => new Promise(() => undefined), policy, {
      deadline: Date.now() + 50,
      now: Date.now,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      random: () => 1,
    }).catch((e: unknown) => e);

    expect((giveUp as RetryGiveUp).lastError).toBeInstanceOf(TransientError);
  });
});

describe("retryWithBackoff at the deadline (issue 9 item 3)", () => {
  it("never starts an attempt once the deadline is reached", async () => {
    const { env } = fakeTime(0);
    let calls = 0;

    const outcome = retryWithBackoff(
      async () => {
        calls += 1;
        return "sent";
      },
      policy,
      env,
    );

    await expect(outcome).rejects.toBeInstanceOf(RetryGiveUp);
    expect(calls).toBe(0);
  });

  it("says the attempt was never made, so callers do not count it as the record's failure", async () => {
    const { env } = fakeTime(0);

    const giveUp = await retryWithBackoff(async () => "sent", policy, env).catch((e: unknown) => e);

    expect(giveUp).toBeInstanceOf(RetryGiveUp);
    expect((giveUp as RetryGiveUp).attempts).toBe(0);
  });
});
