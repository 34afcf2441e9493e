import { describe, expect, it } from "vitest";
import { deferredPort, loadOnce } from "../../../functions/lib/lambda/deferred";

interface Store {
  save(key: string): Promise<string>;
}

describe("loading on first use (issue 11, cold start)", () => {
  it("loads once, on the first call, and shares the load between concurrent first calls", async () => {
    let loads = 0;
    const client = loadOnce(async () => {
      loads += 1;
      return { id: loads };
    });

    expect(loads).toBe(0);
    const [a, b] = await Promise.all([client(), client()]);
    const c = await client();

    expect(loads).toBe(1);
    expect(a).toBe(b);
    expect(c).toBe(a);
  });

  it("tries a failed load again on the next call instead of failing every later one", async () => {
    let attempts = 0;
    const client = loadOnce(async () => {
      attempts += 1;
      if (attempts === 1) throw new Error("chunk not readable");
      return "client";
    });

    await expect(client()).rejects.toThrow("chunk not readable");
    await expect(client()).resolves.toBe("client");
    expect(attempts).toBe(2);
  });

  it("builds a port's adapter at its first method call and forwards every call to it", async () => {
    let built = 0;
    const saved: string[] = [];
    const store = deferredPort<Store>(["save"], async () => {
      built += 1;
      return {
        prefix: "k:",
        async save(this: { prefix: string }, key: string) {
          saved.push(this.prefix + key);
          return `saved ${key}`;
        },
      } as Store;
    });

    expect(built).toBe(0);
    await expect(store.save("a")).resolves.toBe("saved a");
    await store.save("b");

    expect(built).toBe(1);
    expect(saved).toEqual(["k:a", "k:b"]);
  });
});
