/**
 * The seeded record mix of a chaos run: what a real topic carries on a bad day. The same seed gives
 * the same records, byte for byte, so a failing run replays exactly.
 */
import { mulberry32 } from "../../emulator/samples/sampleStream";

export const CHAOS_KINDS = {
  valid: "valid",
  keyless: "keyless",
  tombstone: "tombstone",
  binaryHeaders: "binary-headers",
  nearLimit: "near-limit",
  invalidJson: "invalid-json",
  notUtf8: "not-utf8",
  schemaViolation: "schema-violation",
  /** Invalid and so large that its DLQ copy (with `x-dlq-*` headers) cannot fit the DLQ topic. */
  oversizedDeadLetter: "oversized-dead-letter",
} as const;
export type ChaosKind = (typeof CHAOS_KINDS)[keyof typeof CHAOS_KINDS];

export interface ChaosRecord {
  readonly index: number;
  readonly kind: ChaosKind;
  /** Null for keyless records. A small key space, so ordering per key is tested. */
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: readonly { readonly name: string; readonly value: Buffer }[];
  /** What the target must hold for it (the employee pipeline's transform); undefined: a dead letter. */
  readonly expectedOutput: unknown;
  /** The stage that must dead-letter it; undefined when it must reach the target. */
  readonly expectedStage: "decode" | "validate" | undefined;
}

const KEYS = 40;

/** Bytes of the largest records: near the 1 MB `max.message.bytes` the local topics keep. */
export const NEAR_LIMIT_BYTES = 600_000;
export const OVERSIZED_DEAD_LETTER_BYTES = 1_047_000;

export function chaosRecords(seed: number, count: number): ChaosRecord[] {
  const random = mulberry32(seed);
  const pick = () => random();
  const records: ChaosRecord[] = [];
  for (let index = 0; index < count; index += 1) {
    const roll = pick();
    const key = `emp-${Math.floor(pick() * KEYS)}`;
    const employee = { "Employee-Number": index, name: `E${index}`, age: 20 + (index % 40), dept: "ops" };
    const transformed = { ...employee, "Employee-Number": `EMP-${index}` };
    const json = (value: unknown) => Buffer.from(JSON.stringify(value));
    const base = { index, key, headers: [] as { name: string; value: Buffer }[] };
    if (roll < 0.55)
      records.push({
        ...base,
        kind: CHAOS_KINDS.valid,
        value: json(employee),
        expectedOutput: transformed,
        expectedStage: undefined,
      });
    else if (roll < 0.65)
      records.push({
        ...base,
        kind: CHAOS_KINDS.keyless,
        key: null,
        value: json(employee),
        expectedOutput: transformed,
        expectedStage: undefined,
      });
    else if (roll < 0.7)
      records.push({
        ...base,
        kind: CHAOS_KINDS.tombstone,
        value: null,
        expectedOutput: null,
        expectedStage: undefined,
      });
    else if (roll < 0.78) {
      const headers = [
        { name: "trace", value: Buffer.from([0, 255, index % 256, 10]) },
        { name: "trace", value: Buffer.from([1, 2, 3]) },
        { name: "constructor", value: Buffer.from("c") },
      ];
      records.push({
        ...base,
        kind: CHAOS_KINDS.binaryHeaders,
        headers,
        value: json(employee),
        expectedOutput: transformed,
        expectedStage: undefined,
      });
    } else if (roll < 0.86)
      records.push({
        ...base,
        kind: CHAOS_KINDS.invalidJson,
        value: Buffer.from(`{"Employee-Number": ${index}, "name":`),
        expectedOutput: undefined,
        expectedStage: "decode",
      });
    else if (roll < 0.92)
      records.push({
        ...base,
        kind: CHAOS_KINDS.notUtf8,
        value: Buffer.from([0xff, 0xfe, index % 256]),
        expectedOutput: undefined,
        expectedStage: "decode",
      });
    else
      records.push({
        ...base,
        kind: CHAOS_KINDS.schemaViolation,
        value: json({ ...employee, age: -1 }),
        expectedOutput: undefined,
        expectedStage: "validate",
      });
  }
  // A few records near the size limit, spread through the run by the seed.
  const large = Math.max(1, Math.floor(count / 1_500));
  for (let i = 0; i < large; i += 1) {
    const at = Math.floor(pick() * count);
    const employee = { "Employee-Number": at, name: `E${at}`, age: 33, notes: "n".repeat(NEAR_LIMIT_BYTES) };
    records[at] = {
      index: at,
      kind: CHAOS_KINDS.nearLimit,
      key: `emp-${at % KEYS}`,
      headers: [],
      value: Buffer.from(JSON.stringify(employee)),
      expectedOutput: { ...employee, "Employee-Number": `EMP-${at}` },
      expectedStage: undefined,
    };
  }
  const oversized = Math.floor(pick() * count);
  records[oversized] = {
    index: oversized,
    kind: CHAOS_KINDS.oversizedDeadLetter,
    key: `emp-${oversized % KEYS}`,
    headers: [],
    value: Buffer.from(
      JSON.stringify({
        "Employee-Number": oversized,
        name: "X",
        age: -5,
        notes: "o".repeat(OVERSIZED_DEAD_LETTER_BYTES),
      }),
    ),
    expectedOutput: undefined,
    expectedStage: "validate",
  };
  return records;
}
