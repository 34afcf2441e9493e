import { describe, expect, it } from "vitest";
import { ProducerGenerations } from "../../../functions/lib/adapters/ProducerGenerations";

class Refused extends Error {}

function generations() {
  const opened: number[] = [];
  const closed: number[] = [];
  const producers = new ProducerGenerations<number>({
    open: async () => {
      opened.push(opened.length + 1);
      return opened.length;
    },
    close: async (producer) => {
      closed.push(producer);
    },
  });
  const send = (work: (producer: number) => Promise<number>) =>
    producers.send(
      work,
      (error) => (error instanceof Error ? error : new Error(String(error))),
      (error) => error instanceof Refused,
    );
  return { producers, opened, closed, send };
}

describe("ProducerGenerations", () => {
  it("reuses one producer while sends succeed or the broker refuses records", async () => {
    const { opened, closed, send } = generations();

    await send(async (p) => p);
    await expect(send(async () => Promise.reject(new Refused("MESSAGE_TOO_LARGE")))).rejects.toThrow();
    expect(await send(async (p) => p)).toBe(1);

    expect(opened).toEqual([1]);
    expect(closed).toEqual([]);
  });

  it("replaces the producer after any other failure, closing the old one once its sends finish", async () => {
    const { opened, closed, send } = generations();
    let release: () => void = () => undefined;
    const slow = send(async (p) => {
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return p;
    });

    await expect(send(async () => Promise.reject(new Error("socket hang up")))).rejects.toThrow();
    expect(await send(async (p) => p)).toBe(2);
    expect(closed).toEqual([]);
    release();
    expect(await slow).toBe(1);

    await expect.poll(() => closed).toEqual([1]);
    expect(opened).toEqual([1, 2]);
  });

  it("closes at once, or after the sends in flight when asked", async () => {
    const { producers, closed, send } = generations();
    let release: () => void = () => undefined;
    const slow = send(async (p) => {
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return p;
    });
    await Promise.resolve();

    await producers.close({ afterInFlight: true });
    expect(closed).toEqual([]);
    release();
    await slow;
    await expect.poll(() => closed).toEqual([1]);
  });
});
