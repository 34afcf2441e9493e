/**
 * Generators of invocation events as a broken producer, a misconfigured mapping or a hostile input
 * could shape them: malformed envelopes, random bytes, extreme numbers, odd header names, huge and
 * empty batches. Everything goes through JSON, as Lambda's events do.
 */
import fc from "fast-check";

const b64 = (bytes: Uint8Array | string) => Buffer.from(bytes).toString("base64");
const employee = (n: number, age: number) => JSON.stringify({ "Employee-Number": n, name: `E${n}`, age });

const valueArb = fc.oneof(
  { weight: 6, arbitrary: fc.nat(1000).map((n) => b64(employee(n, 20 + (n % 30)))) },
  { weight: 2, arbitrary: fc.integer().map((n) => b64(employee(n, n))) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 64 }).map(b64) },
  { weight: 1, arbitrary: fc.string().map(b64) },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => b64(JSON.stringify(v) ?? "null")) },
  { weight: 1, arbitrary: fc.constant("not base64 at all!") },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.constant(b64("x".repeat(200_000))) },
);

const keyArb = fc.oneof(
  fc.string({ maxLength: 8 }).map(b64),
  fc.constant(""),
  fc.constant(null),
  fc.constant(undefined),
  fc.constant("%%%"),
  fc.boolean(),
);

const headerNameArb = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.constantFrom(
    "__proto__",
    "constructor",
    "toString",
    "x-dlq-stage",
    "x-lineage-source-offset",
    "x-redrive-count",
  ),
);
const headerValueArb = fc.oneof(
  { weight: 6, arbitrary: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 16 }) },
  { weight: 1, arbitrary: fc.array(fc.integer({ min: -5, max: 300 }), { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.array(fc.double(), { maxLength: 2 }) },
  { weight: 1, arbitrary: fc.string() },
  { weight: 1, arbitrary: fc.constant(null) },
);
const headersArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.array(
      fc.tuple(headerNameArb, headerValueArb).map(([n, v]) => ({ [n]: v })),
      { maxLength: 4 },
    ),
  },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.jsonValue() },
);

const timestampArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      0,
      -1,
      8.64e15,
      8.64e15 + 1,
      -8.64e15 - 1,
      1.7e18,
      1e300,
      Number.MAX_SAFE_INTEGER,
    ),
  },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const coordinateArb = fc.oneof(
  { weight: 12, arbitrary: fc.nat(5) },
  { weight: 1, arbitrary: fc.constantFrom(-1, 1.5, 2 ** 53, 1e300) },
  { weight: 1, arbitrary: fc.constantFrom("0", null, undefined) },
);

const topicArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom("employees", "user-events") },
  { weight: 2, arbitrary: fc.constantFrom("orders-v2", "a-b-c") },
  { weight: 1, arbitrary: fc.constantFrom("", undefined, 7) },
);

const recordArb = (topic: unknown, partition: unknown, offset: unknown) =>
  fc.record({
    topic: fc.oneof({ weight: 12, arbitrary: fc.constant(topic) }, { weight: 1, arbitrary: topicArb }),
    partition: fc.oneof(
      { weight: 12, arbitrary: fc.constant(partition) },
      { weight: 1, arbitrary: coordinateArb },
    ),
    offset: fc.oneof({ weight: 12, arbitrary: fc.constant(offset) }, { weight: 1, arbitrary: coordinateArb }),
    timestamp: timestampArb,
    timestampType: fc.constantFrom("CREATE_TIME", "LOG_APPEND_TIME", "???", undefined),
    key: keyArb,
    value: valueArb,
    headers: headersArb,
  });

const partitionGroupArb = fc
  .record({
    topic: topicArb,
    partition: coordinateArb,
    first: fc.nat(1_000_000),
    size: fc.integer({ min: 0, max: 30 }),
  })
  .chain(({ topic, partition, first, size }) =>
    fc
      .tuple(...Array.from({ length: size }, (_, i) => recordArb(topic, partition, first + i * 2)))
      .map((records) => [`${String(topic)}-${String(partition)}`, records] as const),
  );

/** A batch a mapping could plausibly send, perturbed: the common case of the fuzz. */
const plausibleEventArb = fc.record({
  eventSource: fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom("aws:kafka", "SelfManagedKafka") },
    { weight: 1, arbitrary: fc.constantFrom("aws:sqs", "", undefined) },
  ),
  eventSourceArn: fc.option(fc.constant("arn:aws:kafka:us-east-1:111122223333:cluster/c/1"), {
    nil: undefined,
  }),
  bootstrapServers: fc.option(fc.constant("b-1:9092,b-2:9092"), { nil: undefined }),
  records: fc.oneof(
    {
      weight: 10,
      arbitrary: fc.array(partitionGroupArb, { maxLength: 4 }).map((groups) => Object.fromEntries(groups)),
    },
    { weight: 1, arbitrary: fc.constantFrom({}, [], null, "records", { "t-0": "x" }, { "t-0": [null, 1] }) },
  ),
});

/** One partition of thousands of small records. */
const hugeEventArb = fc.nat(1_000_000).map((first) => ({
  eventSource: "aws:kafka",
  records: {
    "employees-0": Array.from({ length: 3_000 }, (_, i) => ({
      topic: "employees",
      partition: 0,
      offset: first + i,
      timestamp: 1_763_800_000_000 + i,
      timestampType: "CREATE_TIME",
      key: b64(`k${i % 7}`),
      value: b64(employee(i, i % 50 === 0 ? -1 : 30)),
      headers: [],
    })),
  },
}));

export const invocationEventArb: fc.Arbitrary<unknown> = fc
  .oneof(
    { weight: 40, arbitrary: plausibleEventArb },
    { weight: 2, arbitrary: fc.jsonValue() },
    { weight: 1, arbitrary: fc.anything() },
    { weight: 1, arbitrary: hugeEventArb },
  )
  .map((event) => {
    // Lambda hands the function JSON: whatever cannot survive JSON never reaches it.
    const text = JSON.stringify(event);
    return text === undefined ? null : JSON.parse(text);
  });
