/**
 * `patches/kafkajs+2.2.4.patch` (applied by `npm ci`'s postinstall) replaces kafkajs's record
 * encoder and CRC-32C with faster ones. Whatever a producer writes must stay byte for byte what the
 * original kafkajs writes: these tests compare the patched package with `kafkajs-stock`, the same
 * release installed untouched under another name.
 */
import { createRequire } from "node:module";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const load = createRequire(import.meta.url);

type Bytes = Buffer | string | null | undefined;
interface RecordInput {
  offsetDelta?: unknown;
  timestampDelta?: unknown;
  key?: unknown;
  value?: unknown;
  headers?: unknown;
}
interface EncoderLike {
  readonly buffer: Buffer;
  size(): number;
}
type RecordEncoder = (input: RecordInput) => EncoderLike;
type Crc32C = (buffer: Buffer) => number;
interface ProduceRequest {
  encode(): Promise<EncoderLike>;
}
type ProduceV3 = (options: {
  acks: number;
  timeout: number;
  compression?: number;
  topicData: { topic: string; partitions: { partition: number; messages: unknown[] }[] }[];
}) => ProduceRequest;

type GroupMessages = (options: {
  topic: string;
  partitionMetadata: unknown[];
  messages: unknown[];
  partitioner: (options: { message: unknown }) => unknown;
}) => Record<string, unknown[]>;

type Murmur2 = (key: unknown) => number;
interface PartitionerArgs {
  topic: string;
  partitionMetadata: { partitionId: number; leader: number }[];
  message: { key?: unknown; partition?: number | null };
}
type DefaultPartitioner = () => (args: PartitionerArgs) => number;

const RECORD = "src/protocol/recordBatch/record/v0/index.js";
const CRC = "src/protocol/recordBatch/crc32C/index.js";
const PRODUCE_V3 = "src/protocol/requests/produce/v3/request.js";
const GROUP = "src/producer/groupMessagesPerPartition.js";
const MURMUR2 = "src/producer/partitioners/default/murmur2.js";
const DEFAULT_PARTITIONER = "src/producer/partitioners/default/index.js";

const patched = {
  record: load(`kafkajs/${RECORD}`) as RecordEncoder,
  crc: load(`kafkajs/${CRC}`) as Crc32C,
  produce: load(`kafkajs/${PRODUCE_V3}`) as ProduceV3,
  group: load(`kafkajs/${GROUP}`) as GroupMessages,
  murmur2: load(`kafkajs/${MURMUR2}`) as Murmur2,
  partitioner: load(`kafkajs/${DEFAULT_PARTITIONER}`) as DefaultPartitioner,
};
const stock = {
  record: load(`kafkajs-stock/${RECORD}`) as RecordEncoder,
  crc: load(`kafkajs-stock/${CRC}`) as Crc32C,
  produce: load(`kafkajs-stock/${PRODUCE_V3}`) as ProduceV3,
  group: load(`kafkajs-stock/${GROUP}`) as GroupMessages,
  murmur2: load(`kafkajs-stock/${MURMUR2}`) as Murmur2,
  partitioner: load(`kafkajs-stock/${DEFAULT_PARTITIONER}`) as DefaultPartitioner,
};

/** The encoded bytes, or the name of what encoding threw: both must agree either way. */
function outcome(encode: () => EncoderLike): string {
  try {
    return encode().buffer.toString("hex");
  } catch (error) {
    return `threw ${(error as Error).name}`;
  }
}

const bytes: fc.Arbitrary<Bytes> = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.string({ unit: "binary", maxLength: 100 }),
);
const headerValue = fc.oneof(
  { weight: 8, arbitrary: fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)) },
  { weight: 4, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  // Outside kafkajs's types: both must refuse them alike.
  { weight: 1, arbitrary: fc.constantFrom(null, 7, undefined) },
);
const headers = fc.dictionary(
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.oneof(
    { weight: 4, arbitrary: headerValue },
    { weight: 1, arbitrary: fc.array(headerValue, { maxLength: 3 }) },
  ),
  { maxKeys: 6 },
);
const delta = fc.oneof(
  fc.integer({ min: -1000, max: 100_000 }),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.constantFrom(0, -1, 2 ** 30, -(2 ** 30), 2 ** 31, 2 ** 52, -(2 ** 52), 2 ** 53, 1.5, Number.NaN),
);
const recordInput: fc.Arbitrary<RecordInput> = fc.record(
  {
    offsetDelta: fc.integer({ min: 0, max: 10_000 }),
    timestampDelta: delta,
    key: bytes,
    value: bytes,
    headers,
  },
  { requiredKeys: [] },
);

describe("the patched kafkajs record encoder", () => {
  it("is installed: npm ci applied patches/kafkajs+2.2.4.patch", () => {
    // The original starts every record in a zero-filled 512-byte Encoder; the patch sizes it exactly.
    const encoder = patched.record({ key: null, value: Buffer.from("v") }) as EncoderLike & { buf: Buffer };
    expect(encoder.buf.length).toBe(encoder.size());
    const original = stock.record({ key: null, value: Buffer.from("v") }) as EncoderLike & { buf: Buffer };
    expect(original.buf.length).toBe(512);
  });

  it("writes exactly the original's bytes for any record, or refuses what the original refuses", () => {
    fc.assert(
      fc.property(recordInput, (input) => {
        expect(outcome(() => patched.record(input))).toBe(outcome(() => stock.record(input)));
      }),
      { numRuns: 2_000 },
    );
  });

  it.each([
    ["no fields at all", {}],
    [
      "a 20 KB key and a value of 70,000 bytes (three-byte varints)",
      { key: Buffer.alloc(20_000, 1), value: Buffer.alloc(70_000, 2) },
    ],
    ["an offset delta beyond 2^30 (the original's 32-bit zig-zag)", { offsetDelta: 2 ** 30 + 5, value: "v" }],
    ["a negative timestamp delta", { timestampDelta: -123_456_789, value: "v" }],
    ["timestamp deltas at the fast path's edge", { timestampDelta: 2 ** 52, key: "k" }],
    ["a timestamp delta beyond it", { timestampDelta: 2 ** 60, key: "k" }],
    ["a non-integer timestamp delta", { timestampDelta: 0.5, key: "k" }],
    [
      "non-ASCII header names and values",
      { headers: { "x-ü": "välue", "x-日本": [Buffer.from([0xff]), "二"] } },
    ],
    ["a header whose value is null", { headers: { a: null } }],
    ["a number as the value", { value: 12 }],
    ["headers that are not an object", { headers: "oops" }],
  ])("agrees on %s", (_, input: RecordInput) => {
    expect(outcome(() => patched.record(input))).toBe(outcome(() => stock.record(input)));
  });
});

describe("the patched kafkajs CRC-32C", () => {
  it("gives the standard check value", () => {
    // CRC-32C (Castagnoli) of "123456789", RFC 3720 B.4's check value.
    expect(patched.crc(Buffer.from("123456789"))).toBe(0xe3069283);
  });

  it("agrees with the original on any buffer, whatever its length modulo 8", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2_000 }), (array) => {
        const buffer = Buffer.from(array);
        expect(patched.crc(buffer)).toBe(stock.crc(buffer));
      }),
      { numRuns: 500 },
    );
    const large = Buffer.alloc(1_500_003);
    for (let i = 0; i < large.length; i += 1) large[i] = (i * 2_654_435_761) >>> 24;
    expect(patched.crc(large)).toBe(stock.crc(large));
  });
});

describe("a whole Produce request (v3, the record batch and its CRC)", () => {
  const message = fc.record(
    {
      key: fc.option(
        fc.uint8Array({ maxLength: 30 }).map((a) => Buffer.from(a)),
        { nil: null },
      ),
      value: fc.option(
        fc.uint8Array({ maxLength: 2_000 }).map((a) => Buffer.from(a)),
        { nil: null },
      ),
      headers: fc.dictionary(
        fc.string({ maxLength: 12 }),
        fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a)),
        { maxKeys: 5 },
      ),
      // Explicit, so that neither side reads the clock.
      timestamp: fc.integer({ min: 1_700_000_000_000, max: 1_800_000_000_000 }).map(String),
    },
    { requiredKeys: ["key", "value", "headers", "timestamp"] },
  );
  const topicData = fc
    .array(fc.array(message, { minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 3 })
    .map((partitions) => [
      {
        topic: "employees.processed",
        partitions: partitions.map((messages, partition) => ({ partition, messages })),
      },
    ]);

  it("is byte for byte the original's, uncompressed and gzip", async () => {
    await fc.assert(
      fc.asyncProperty(topicData, fc.constantFrom(0, 1), async (data, compression) => {
        const options = { acks: -1, timeout: 10_000, compression, topicData: data };
        const [ours, theirs] = await Promise.all([
          patched.produce(options).encode(),
          stock.produce(options).encode(),
        ]);
        expect(ours.buffer.equals(theirs.buffer)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});

describe("the patched grouping of a send's messages by partition", () => {
  it("gives the original's groups, in the original's order, whatever the partitioner answers", () => {
    const answer = fc.oneof(
      fc.integer({ min: -1, max: 5 }),
      fc.constantFrom(undefined, null, Number.NaN, "2"),
    );
    fc.assert(
      fc.property(fc.array(answer, { maxLength: 200 }), fc.boolean(), (answers, noMetadata) => {
        const messages = answers.map((partition, index) => ({ index, partition }));
        const options = {
          topic: "employees.processed",
          partitionMetadata: noMetadata ? [] : [{ partitionId: 0 }],
          messages,
          partitioner: ({ message }: { message: unknown }) => (message as { partition: unknown }).partition,
        };
        const ours = patched.group(options);
        const theirs = stock.group(options);
        expect(Object.keys(ours)).toEqual(Object.keys(theirs));
        expect(ours).toEqual(theirs);
      }),
      { numRuns: 500 },
    );
  });
});

describe("the patched murmur2 and default partitioner", () => {
  it.each([
    ["21", -973932308],
    ["foobar", -790332482],
    ["a-little-bit-long-string", -985981536],
    ["abc", 479470107],
  ])("hashes %j to Kafka's UtilsTest value", (text, hash) => {
    expect(patched.murmur2(Buffer.from(text))).toBe(hash);
  });

  it("hashes any key, bytes or text, as the original does", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
          fc.string({ unit: "binary", maxLength: 40 }),
          fc.integer(),
        ),
        (key) => {
          expect(patched.murmur2(key)).toBe(stock.murmur2(key));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("picks the original's partition for a keyed message or a named partition, and a led one without a key", () => {
    const ours = patched.partitioner();
    const theirs = stock.partitioner();
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -1, max: 2 }), { minLength: 1, maxLength: 8 }),
        fc.option(
          fc.uint8Array({ maxLength: 30 }).map((a) => Buffer.from(a)),
          { nil: undefined },
        ),
        fc.option(fc.nat(7), { nil: undefined }),
        (leaders, key, partition) => {
          const partitionMetadata = leaders.map((leader, partitionId) => ({ partitionId, leader }));
          const args = { topic: "employees.processed", partitionMetadata, message: { key, partition } };
          const chosen = ours(args);
          if (partition !== undefined || key !== undefined) expect(chosen).toBe(theirs(args));
          else if (leaders.some((leader) => leader >= 0)) expect(leaders[chosen]).toBeGreaterThanOrEqual(0);
          else expect(chosen).toBeLessThan(leaders.length);
        },
      ),
      { numRuns: 1_000 },
    );
  });
});
