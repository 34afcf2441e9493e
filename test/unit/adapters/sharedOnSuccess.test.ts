import { describe, expect, it } from "vitest";
import { sharedOnSuccess } from "../../../functions/lib/adapters/sharedOnSuccess";

describe("sharedOnSuccess", () => {
  it("builds on first use and shares the value with every later use", async () => {
    let builds = 0;
    const client = sharedOnSuccess(async () => ({ build: ++builds }));

    const [a, b] = await Promise.all([client(), client()]);

    expect(a).toBe(b);
    expect(await client()).toBe(a);
    expect(builds).toBe(1);
  });

  it("forgets a build that failed, so the next use tries again", async () => {
    let builds = 0;
    const client = sharedOnSuccess(async () => {
      builds += 1;
      if (builds === 1) throw new Error("secret not readable yet");
      return "client";
    });

    await expect(client()).rejects.toThrow("secret not readable yet");
    expect(await client()).toBe("client");
    expect(builds).toBe(2);
  });

  it("hands out a value given as is", async () => {
    const settings = { brokers: ["b-1:9094"] };
    expect(await sharedOnSuccess(settings)()).toBe(settings);
  });
});
