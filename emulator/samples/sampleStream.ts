/**
 * A deterministic stream of employee and user-event records that mixes good records with the
 * failures the user's documents describe, each tagged with what the pipeline should do with it;
 * with the registry's schema ids, also Avro payments (`paymentSamples.ts`).
 */
import {
  BAD_PAYMENT_KINDS,
  PAYMENT_KINDS,
  type PaymentKind,
  type PaymentSchemaIds,
  paymentValue,
} from "./paymentSamples";

export const SAMPLE_KINDS = {
  good: "good",
  malformedJson: "malformed-json",
  negativeAge: "negative-age",
  missingField: "missing-field",
  notUtf8: "not-utf8",
} as const;
type JsonSampleKind = (typeof SAMPLE_KINDS)[keyof typeof SAMPLE_KINDS];
export type SampleKind = JsonSampleKind | PaymentKind;

export const SAMPLE_STREAMS = {
  employees: "employees",
  userEvents: "user-events",
  /** Avro in the Confluent wire format; drawn only when the schema ids are given. */
  payments: "card-payments",
} as const;
export type SampleStream = (typeof SAMPLE_STREAMS)[keyof typeof SAMPLE_STREAMS];

export interface SampleRecord {
  readonly stream: SampleStream;
  readonly kind: SampleKind;
  readonly key: string;
  readonly value: Buffer;
  /** The pipeline stage that should dead-letter it; undefined when it should reach the target. */
  readonly expectedStage: "decode" | "validate" | undefined;
}

export interface SampleStreamOptions {
  readonly seed: number;
  readonly count: number;
  /** Share of records that are bad, spread over the bad kinds. @default 0.25 */
  readonly badShare?: number;
  /** Which streams to draw from. @default employees and user events, and payments with `avro` */
  readonly streams?: readonly SampleStream[];
  /** The registry's ids of the payment schemas: adds the Avro stream. */
  readonly avro?: PaymentSchemaIds;
}

const NAMES = [
  "Ada",
  "Grace",
  "Alan",
  "Edsger",
  "Barbara",
  "Donald",
  "Frances",
  "Ken",
  "Margaret",
  "Niklaus",
];
const DEPARTMENTS = ["Engineering", "Finance", "Sales", "Support"];
const ACTIONS = ["LOGIN", "Logout", " view_page ", "PURCHASE", "add_to_cart"];
const BAD_KINDS: readonly JsonSampleKind[] = [
  SAMPLE_KINDS.malformedJson,
  SAMPLE_KINDS.negativeAge,
  SAMPLE_KINDS.missingField,
  SAMPLE_KINDS.notUtf8,
];

/** User events have no age. */
const BAD_USER_EVENT_KINDS = BAD_KINDS.filter((k) => k !== SAMPLE_KINDS.negativeAge);

/**
 * The same seed gives the same records, byte for byte.
 *
 * @example
 * const records = sampleStream({ seed: 42, count: 200 });
 */
export function sampleStream(options: SampleStreamOptions): SampleRecord[] {
  const random = mulberry32(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const streams =
    options.streams ??
    (options.avro === undefined
      ? [SAMPLE_STREAMS.employees, SAMPLE_STREAMS.userEvents]
      : [SAMPLE_STREAMS.employees, SAMPLE_STREAMS.userEvents, SAMPLE_STREAMS.payments]);
  const badShare = options.badShare ?? 0.25;
  const records: SampleRecord[] = [];
  for (let i = 0; i < options.count; i += 1) {
    const stream = pick(streams);
    if (stream === SAMPLE_STREAMS.payments) {
      records.push(
        payment(i, random() < badShare ? pick(BAD_PAYMENT_KINDS) : PAYMENT_KINDS.good, options, random),
      );
      continue;
    }
    const kind =
      random() < badShare
        ? pick(stream === SAMPLE_STREAMS.employees ? BAD_KINDS : BAD_USER_EVENT_KINDS)
        : SAMPLE_KINDS.good;
    records.push(
      stream === SAMPLE_STREAMS.employees
        ? employee(i, kind, random, pick)
        : userEvent(i, kind, random, pick),
    );
  }
  return records;
}

type Pick = <T>(items: readonly T[]) => T;

function payment(
  i: number,
  kind: PaymentKind,
  options: SampleStreamOptions,
  random: () => number,
): SampleRecord {
  if (options.avro === undefined) throw new RangeError("the payments stream needs the registry's schema ids");
  const { value, expectedStage } = paymentValue(kind, options.avro, 1000 + i, random);
  return { stream: SAMPLE_STREAMS.payments, kind, key: `pay-${1000 + i}`, value, expectedStage };
}

function employee(i: number, kind: JsonSampleKind, random: () => number, pick: Pick): SampleRecord {
  const number = 1000 + i;
  const good = {
    "Employee-Number": number,
    name: pick(NAMES),
    age: 21 + Math.floor(random() * 44),
    department: pick(DEPARTMENTS),
  };
  const key = `emp-${number}`;
  switch (kind) {
    case SAMPLE_KINDS.good:
      return { stream: "employees", kind, key, value: json(good), expectedStage: undefined };
    case SAMPLE_KINDS.negativeAge:
      return {
        stream: "employees",
        kind,
        key,
        value: json({ ...good, age: -good.age }),
        expectedStage: "validate",
      };
    case SAMPLE_KINDS.missingField: {
      const { name: _name, ...withoutName } = good;
      return { stream: "employees", kind, key, value: json(withoutName), expectedStage: "validate" };
    }
    case SAMPLE_KINDS.malformedJson:
      return {
        stream: "employees",
        kind,
        key,
        value: Buffer.from(JSON.stringify(good).slice(0, -3)),
        expectedStage: "decode",
      };
    case SAMPLE_KINDS.notUtf8:
      return {
        stream: "employees",
        kind,
        key,
        value: Buffer.from([0xff, 0xfe, 0x7b, 0x22, 0xc3, 0x28]),
        expectedStage: "decode",
      };
  }
}

function userEvent(i: number, kind: JsonSampleKind, random: () => number, pick: Pick): SampleRecord {
  const good = {
    user_id: `u-${Math.floor(random() * 500)}`,
    action: pick(ACTIONS),
    timestamp: 1_763_800_000_000 + i * 1000,
  };
  const key = good.user_id;
  switch (kind) {
    case SAMPLE_KINDS.good:
      return { stream: "user-events", kind, key, value: json(good), expectedStage: undefined };
    // Never drawn (user events have no age); kept so every kind has a shape: a mistyped action.
    case SAMPLE_KINDS.negativeAge:
      return {
        stream: "user-events",
        kind: SAMPLE_KINDS.missingField,
        key,
        value: json({ ...good, action: 42 }),
        expectedStage: "validate",
      };
    case SAMPLE_KINDS.missingField: {
      const { action: _action, ...withoutAction } = good;
      return { stream: "user-events", kind, key, value: json(withoutAction), expectedStage: "validate" };
    }
    case SAMPLE_KINDS.malformedJson:
      return {
        stream: "user-events",
        kind,
        key,
        value: Buffer.from(`{"user_id": "${good.user_id}", action: login}`),
        expectedStage: "decode",
      };
    case SAMPLE_KINDS.notUtf8:
      return {
        stream: "user-events",
        kind,
        key,
        value: Buffer.from([0x80, 0x81, 0x82, 0x7d]),
        expectedStage: "decode",
      };
  }
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

/** A small, well-known 32-bit PRNG: deterministic across platforms, no dependency. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
