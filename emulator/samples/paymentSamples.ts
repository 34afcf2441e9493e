/**
 * The Avro stream of the sample: `payments`, Confluent wire format with schemas from the local
 * registry. Good records are written with either version of the Payment schema (v2 added a
 * `currency` with a default: a producer that upgraded and one that did not); bad ones name a schema
 * the registry does not have, carry bytes that are not a Payment, or a negative amount.
 */
import avro from "avsc";
import { encodeConfluentFrame } from "../../functions/lib/formats/confluentWire";
import { PAYMENT_READER_SCHEMA } from "../../functions/processor/pipelines";

export const PAYMENT_SCHEMA_V1 = JSON.stringify({
  type: "record",
  name: "Payment",
  namespace: "demo.payments",
  fields: [
    { name: "payment_id", type: "string" },
    { name: "amount", type: "double" },
  ],
});

/** v2 adds `currency` with a default: the schema the payment pipeline reads with. */
export const PAYMENT_SCHEMA_V2 = PAYMENT_READER_SCHEMA;

/** The ids the registry gave the two versions (the sample names them in its bytes). */
export interface PaymentSchemaIds {
  readonly v1: number;
  readonly v2: number;
}

/** A schema id no registry of the demo hands out: its records are `decode` dead letters. */
export const UNKNOWN_SCHEMA_ID = 999_999_999;

const v1 = avro.Type.forSchema(JSON.parse(PAYMENT_SCHEMA_V1) as avro.Schema);
const v2 = avro.Type.forSchema(JSON.parse(PAYMENT_SCHEMA_V2) as avro.Schema);

export const PAYMENT_KINDS = {
  good: "good",
  unknownSchema: "unknown-schema",
  notAvro: "not-avro",
  negativeAmount: "negative-amount",
} as const;
export type PaymentKind = (typeof PAYMENT_KINDS)[keyof typeof PAYMENT_KINDS];

export const BAD_PAYMENT_KINDS: readonly PaymentKind[] = [
  PAYMENT_KINDS.unknownSchema,
  PAYMENT_KINDS.notAvro,
  PAYMENT_KINDS.negativeAmount,
];

export function paymentValue(
  kind: PaymentKind,
  ids: PaymentSchemaIds,
  n: number,
  random: () => number,
): { value: Buffer; expectedStage: "decode" | "validate" | undefined } {
  const payment = { payment_id: `pay-${n}`, amount: Math.round(random() * 100_000) / 100 };
  const upgraded = random() < 0.5;
  const encode = (p: typeof payment) =>
    upgraded
      ? encodeConfluentFrame(ids.v2, v2.toBuffer({ ...p, currency: random() < 0.5 ? "EUR" : "USD" }))
      : encodeConfluentFrame(ids.v1, v1.toBuffer(p));
  switch (kind) {
    case PAYMENT_KINDS.good:
      return { value: encode(payment), expectedStage: undefined };
    case PAYMENT_KINDS.negativeAmount:
      return { value: encode({ ...payment, amount: -payment.amount - 1 }), expectedStage: "validate" };
    case PAYMENT_KINDS.unknownSchema:
      return {
        value: encodeConfluentFrame(UNKNOWN_SCHEMA_ID, v1.toBuffer(payment)),
        expectedStage: "decode",
      };
    case PAYMENT_KINDS.notAvro:
      // A string length that runs past the end: no Payment reads from these bytes.
      return { value: encodeConfluentFrame(ids.v1, Buffer.from([0x7e, 0x61])), expectedStage: "decode" };
  }
}
