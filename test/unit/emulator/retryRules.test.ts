import { describe, expect, it } from "vitest";
import { decideRetry, retryDelayMs, splitByAge } from "../../../emulator/retryRules";

const records = [1, 2, 3, 4, 5];

describe("decideRetry", () => {
  it.each([
    { failedAttempts: 1, retryAttempts: 2, expected: "retry" },
    { failedAttempts: 3, retryAttempts: 2, expected: "give-up" },
    { failedAttempts: 1, retryAttempts: 0, expected: "give-up" },
    { failedAttempts: 500, retryAttempts: -1, expected: "retry" },
  ])(
    "after $failedAttempts failures with retryAttempts $retryAttempts: $expected",
    ({ failedAttempts, retryAttempts, expected }) => {
      expect(decideRetry(records, failedAttempts, { retryAttempts, bisectBatchOnError: false }).kind).toBe(
        expected,
      );
    },
  );

  it("retries the batch whole without bisect", () => {
    expect(decideRetry(records, 1, { retryAttempts: 3, bisectBatchOnError: false })).toEqual({
      kind: "retry",
      batches: [records],
    });
  });

  it("bisects into two halves in order, the first one larger", () => {
    expect(decideRetry(records, 1, { retryAttempts: 3, bisectBatchOnError: true })).toEqual({
      kind: "retry",
      batches: [
        [1, 2, 3],
        [4, 5],
      ],
    });
  });

  it("retries a single record whole even with bisect", () => {
    expect(decideRetry([1], 1, { retryAttempts: 3, bisectBatchOnError: true })).toEqual({
      kind: "retry",
      batches: [[1]],
    });
  });
});

describe("splitByAge", () => {
  const now = 1_000_000_000;
  const aged = [{ timestamp: now - 61_000 }, { timestamp: now - 59_000 }, { timestamp: now }];

  it("expires records older than the maximum age", () => {
    const { fresh, expired } = splitByAge(aged, now, 60);

    expect(expired).toEqual([aged[0]]);
    expect(fresh).toEqual([aged[1], aged[2]]);
  });

  it("expires nothing with -1", () => {
    expect(splitByAge(aged, now, -1).expired).toEqual([]);
  });
});

describe("retryDelayMs", () => {
  it("doubles from the base and stops at 5 s", () => {
    expect([1, 2, 3, 10].map((n) => retryDelayMs(n, 100))).toEqual([100, 200, 400, 5_000]);
    expect(retryDelayMs(3, 0)).toBe(0);
  });
});
