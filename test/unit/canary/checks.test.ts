import { describe, expect, it } from "vitest";
import type { IndexedDeadLetter } from "../../../functions/lib/adapters/DynamoDeadLetterIndex";
import { type CanaryKind, canaryTopics } from "../../../functions/lib/canary/canaryRecord";
import { DEAD_LETTER_HEADERS } from "../../../functions/lib/core/headers";
import { evaluateCanary } from "../../../tools/canary/checks";
import type { CanaryObservation, TopicCopy } from "../../../tools/canary/observation";

const RUN = "c-lq2x9c-1a2b";
const TOPICS = canaryTopics("shop.canary");
const ID = "shop.canary:0:42@5d41402abc";
const KEY = "dead-letters/topic=shop.canary/date=2026-12-01/shop.canary-0-42-42.jsonl.gz";
const CONTEXT = { failureKeyName: "partition", functionName: "shop-processor" };

const bytes = (kind: CanaryKind) =>
  Buffer.from(JSON.stringify({ canary: RUN, kind, sentAt: "2026-12-01T10:00:00Z" }));
const copy = (
  topic: string,
  kind: CanaryKind,
  offset: number,
  headers: Record<string, string> = {},
): TopicCopy => ({
  topic,
  partition: 0,
  offset,
  kind,
  headers,
});
const deadLetterHeaders = (stage = "validate") => ({
  [DEAD_LETTER_HEADERS.recordId]: ID,
  [DEAD_LETTER_HEADERS.stage]: stage,
  [DEAD_LETTER_HEADERS.errorClass]: "SchemaViolationError",
  [DEAD_LETTER_HEADERS.errorMessage]: "kind: Invalid option",
  [DEAD_LETTER_HEADERS.archiveKey]: KEY,
});
const indexItem = (overrides: Partial<IndexedDeadLetter> = {}) =>
  ({
    id: ID,
    stage: "validate",
    dlqTopic: TOPICS.dlq,
    dlqPartition: 0,
    dlqOffset: 3,
    archiveKey: KEY,
    ...overrides,
  }) as IndexedDeadLetter;

/** What a healthy deployment shows: every check passes. */
function healthy(overrides: Partial<CanaryObservation> = {}): CanaryObservation {
  return {
    runId: RUN,
    topics: TOPICS,
    produced: {
      good: { kind: "good", partition: 0, offset: 40, value: bytes("good") },
      "transient-once": { kind: "transient-once", partition: 0, offset: 41, value: bytes("transient-once") },
      invalid: { kind: "invalid", partition: 0, offset: 42, value: bytes("invalid") },
    },
    target: [copy(TOPICS.target, "good", 7), copy(TOPICS.target, "transient-once", 8)],
    dlq: [copy(TOPICS.dlq, "invalid", 3, deadLetterHeaders())],
    deliveries: { good: 1, "transient-once": 2 },
    archive: {
      found: true,
      bucket: "shop-archive",
      key: KEY,
      envelopes: [{ id: ID, sourceTopic: TOPICS.source, value: bytes("invalid").toString("base64") }],
    },
    index: { found: true, id: ID, item: indexItem() },
    waitedMs: 6_000,
    ...overrides,
  };
}

const verdicts = (o: CanaryObservation) => evaluateCanary(o, CONTEXT).map((c) => c.pass);

describe("the canary's checks", () => {
  it("all pass on a healthy deployment, each saying where it found the record", () => {
    const checks = evaluateCanary(healthy(), CONTEXT);

    expect(checks.map((c) => c.pass)).toEqual([true, true, true, true, true]);
    expect(checks.map((c) => c.name)).toEqual([
      "good record reached shop.canary.out exactly once",
      "invalid record is in the DLQ topic shop.canary.dlq",
      "invalid record's archive object holds its envelope",
      "invalid record is in the index, pointing at its DLQ copy and archive object",
      "transient-once record was redelivered by the mapping and reached shop.canary.out",
    ]);
    expect(checks[0]?.detail).toBe("partition 0, offset 7");
    expect(checks[2]?.detail).toBe(`s3://shop-archive/${KEY}, envelope ${ID}`);
  });

  it("fails 'exactly once' on a whole-batch retry, naming the item identifier key and the other one to try", () => {
    const retried = healthy({
      target: [
        copy(TOPICS.target, "good", 7),
        copy(TOPICS.target, "good", 8),
        copy(TOPICS.target, "transient-once", 9),
      ],
      deliveries: { good: 2, "transient-once": 2 },
    });

    const [good, , , , transient] = evaluateCanary(retried, CONTEXT);

    expect(good?.pass).toBe(false);
    expect(good?.detail).toMatch(
      /handed it 2 times and wrote it 2 time\(s\): Lambda retried the whole batch/,
    );
    expect(good?.detail).toContain('did not read the item identifier key "partition"');
    expect(good?.detail).toContain('set FAILURE_KEY_NAME to "topic-partition"');
    expect(transient?.pass).toBe(true);
    expect(evaluateCanary(retried, { ...CONTEXT, failureKeyName: "topic-partition" })[0]?.detail).toContain(
      'set FAILURE_KEY_NAME to "partition"',
    );
  });

  it("sees a whole-batch retry even when idempotency kept the target free of duplicates", () => {
    const hidden = healthy({ deliveries: { good: 2, "transient-once": 2 } });

    expect(evaluateCanary(hidden, CONTEXT)[0]?.detail).toMatch(
      /wrote it 1 time\(s\): Lambda retried the whole batch/,
    );
  });

  it("tells a duplicate write from a whole-batch retry", () => {
    const duplicated = healthy({
      target: [
        copy(TOPICS.target, "good", 7),
        copy(TOPICS.target, "good", 8),
        copy(TOPICS.target, "transient-once", 9),
      ],
    });

    const [good] = evaluateCanary(duplicated, CONTEXT);

    expect(good?.pass).toBe(false);
    expect(good?.detail).toMatch(/^written 2 times from one delivery .*not a whole-batch retry$/);
  });

  it("says the mapping delivered nothing when the function never counted a delivery", () => {
    const silent = healthy({
      target: [],
      dlq: [],
      deliveries: undefined,
      archive: undefined,
      index: undefined,
      waitedMs: 120_000,
    });

    const checks = evaluateCanary(silent, CONTEXT);

    expect(checks.map((c) => c.pass)).toEqual([false, false, false, false, false]);
    expect(checks[0]?.detail).toMatch(
      /^not in shop.canary.out after 120 s, and the function was handed none/,
    );
    expect(checks[0]?.detail).toContain(
      "aws lambda list-event-source-mappings --function-name shop-processor",
    );
    expect(checks[2]?.detail).toBe("no DLQ copy names an archive object");
  });

  it("fails the redelivery check when transient-once was handed over only once", () => {
    const stuck = healthy({
      target: [copy(TOPICS.target, "good", 7)],
      deliveries: { good: 1, "transient-once": 1 },
    });

    const checks = evaluateCanary(stuck, CONTEXT);

    expect(checks.map((c) => c.pass)).toEqual([true, true, true, true, false]);
    expect(checks[4]?.detail).toMatch(
      /first delivery failed on purpose .* did not deliver it again within 6 s/,
    );
  });

  it("reports a good record that was dead-lettered, with its stage and error", () => {
    const denied = healthy({
      target: [copy(TOPICS.target, "transient-once", 8)],
      dlq: [
        copy(TOPICS.dlq, "good", 2, {
          ...deadLetterHeaders("transform"),
          [DEAD_LETTER_HEADERS.errorClass]: "TransformError",
          [DEAD_LETTER_HEADERS.errorMessage]: "AccessDeniedException",
        }),
        copy(TOPICS.dlq, "invalid", 3, deadLetterHeaders()),
      ],
    });

    expect(evaluateCanary(denied, CONTEXT)[0]?.detail).toBe(
      "dead-lettered to shop.canary.dlq instead (stage transform: TransformError: AccessDeniedException)",
    );
  });

  it.each<[string, Partial<CanaryObservation>, boolean[], RegExp]>([
    [
      "a dead letter of another stage",
      { dlq: [copy(TOPICS.dlq, "invalid", 3, deadLetterHeaders("retries-exhausted"))] },
      [true, false, true, true, true],
      /stage retries-exhausted, not validate/,
    ],
    [
      "an archive object that cannot be read",
      { archive: { found: false, bucket: "shop-archive", key: KEY, reason: "NoSuchKey" } },
      [true, true, false, true, true],
      /cannot be read: NoSuchKey$/,
    ],
    [
      "an archive object without the envelope",
      { archive: { found: true, bucket: "shop-archive", key: KEY, envelopes: [] } },
      [true, true, false, true, true],
      /holds no envelope with id/,
    ],
    [
      "an envelope with other bytes",
      {
        archive: {
          found: true,
          bucket: "b",
          key: KEY,
          envelopes: [{ id: ID, sourceTopic: TOPICS.source, value: "eA==" }],
        },
      },
      [true, true, false, true, true],
      /other bytes/,
    ],
    [
      "no index item",
      { index: { found: false, id: ID, reason: "GetItem found nothing" } },
      [true, true, true, false, true],
      /no index item DL#/,
    ],
    [
      "an index item pointing at another offset",
      { index: { found: true, id: ID, item: indexItem({ dlqOffset: 99 }) } },
      [true, true, true, false, true],
      /points at shop.canary.dlq partition 0 offset 99, where no copy/,
    ],
    [
      "an index item whose DLQ copy is marked absent",
      {
        index: {
          found: true,
          id: ID,
          item: indexItem({ dlqOffset: undefined, dlqAbsentReason: "MESSAGE_TOO_LARGE" }),
        },
      },
      [true, true, true, false, true],
      /DLQ copy is absent \(MESSAGE_TOO_LARGE\)/,
    ],
  ])("fails on %s, and only the check concerned", (_case, overrides, expected, message) => {
    const checks = evaluateCanary(healthy(overrides), CONTEXT);

    expect(checks.map((c) => c.pass)).toEqual(expected);
    expect(checks.find((c) => !c.pass)?.detail).toMatch(message);
  });

  it("passes with a second DLQ copy of the invalid record, saying it is a redelivery's", () => {
    const twice = healthy({
      dlq: [
        copy(TOPICS.dlq, "invalid", 3, deadLetterHeaders()),
        copy(TOPICS.dlq, "invalid", 4, deadLetterHeaders()),
      ],
    });

    expect(verdicts(twice)).toEqual([true, true, true, true, true]);
    expect(evaluateCanary(twice, CONTEXT)[1]?.detail).toMatch(/2 copies/);
  });
});
