import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { partitionForKey } from "../../../emulator/keyPartitioner";

describe("partitionForKey", () => {
  it.each([
    ["21", -973932308],
    ["foobar", -790332482],
    ["a-little-bit-long-string", -985981536],
    ["abc", 479470107],
  ])("puts %j where the Java client does (murmur2 values of Kafka's UtilsTest)", (text, murmur2) => {
    for (const count of [1, 3, 6, 7, 100]) {
      expect(partitionForKey(Buffer.from(text), count)).toBe((murmur2 & 0x7fffffff) % count);
    }
  });

  it("is never negative and stays in range", () => {
    fc.assert(
      fc.property(fc.uint8Array(), fc.integer({ min: 1, max: 1000 }), (key, count) => {
        const partition = partitionForKey(key, count);
        expect(partition).toBeGreaterThanOrEqual(0);
        expect(partition).toBeLessThan(count);
      }),
    );
  });
});
