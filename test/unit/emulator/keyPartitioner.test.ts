import { createRequire } from "node:module";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { murmur2, partitionForKey } from "../../../emulator/keyPartitioner";

// kafkajs ships the Java client's murmur2 (ported with a 64-bit Long): the reference to agree with.
const kafkajsMurmur2 = createRequire(import.meta.url)(
  "kafkajs/src/producer/partitioners/default/murmur2.js",
) as (key: Buffer) => number;

describe("murmur2", () => {
  it.each([
    ["21", -973932308],
    ["foobar", -790332482],
    ["a-little-bit-long-string", -985981536],
    ["a-little-bit-longer-string", -1486304829],
    ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
    ["abc", 479470107],
  ])("hashes %j as Kafka's UtilsTest expects", (text, expected) => {
    expect(murmur2(Buffer.from(text))).toBe(expected);
  });

  it("agrees with kafkajs's port of the Java client for any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(murmur2(bytes)).toBe(kafkajsMurmur2(Buffer.from(bytes)));
      }),
    );
  });
});

describe("partitionForKey", () => {
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
