/**
 * The example pipelines from the user's documents. Replace or extend them with your own: a
 * pipeline is a source topic, a Standard Schema, a transform and a target topic.
 *
 * The documents transform one field and forward everything else, so the schemas are passthrough
 * (`z.looseObject`): fields they do not name reach the target untouched. A strict schema
 * (`z.strictObject`) dead-letters records with unknown fields instead; plain `z.object` would strip
 * them silently, which loses data nobody decided to drop.
 */
import * as z from "zod";
import { ConfluentSchemaRegistry } from "../lib/adapters/ConfluentSchemaRegistry";
import { localSchemaRegistryUrl } from "../lib/config";
import { definePipeline } from "../lib/core/pipeline";
import { DATA_FORMATS, SOURCE_FRAMINGS } from "../lib/formats/constants";
import { schemaRegistryFormat } from "../lib/formats/schemaRegistryFormat";

export const employeeSchema = z.looseObject({
  "Employee-Number": z.number().int().nonnegative(),
  name: z.string().min(1),
  age: z.number().int().positive(),
  department: z.string().min(1).optional(),
});

/** Employee records: the number becomes `EMP-<number>`; the age must be a positive integer. */
export const employeeRecords = {
  schema: employeeSchema,
  transform: (employee: z.infer<typeof employeeSchema>) => ({
    ...employee,
    "Employee-Number": `EMP-${employee["Employee-Number"]}`,
  }),
};

export const userEventSchema = z.looseObject({
  // The documents' own example message has a numeric id: `{"user_id": 1, "action": "login"}`.
  user_id: z.union([z.string().min(1), z.number().int()]),
  action: z.string().min(1),
  timestamp: z.union([z.string(), z.number()]).optional(),
});

/** User events: `user_id` and `action` are required; the action is normalised to lower case. */
export const userEvents = {
  schema: userEventSchema,
  transform: (event: z.infer<typeof userEventSchema>) => ({
    ...event,
    action: event.action.trim().toLowerCase(),
  }),
};

export const employeePipeline = definePipeline({
  sourceTopic: "employees",
  targetTopic: "employees.processed",
  ...employeeRecords,
});

export const userEventPipeline = definePipeline({
  sourceTopic: "user-events",
  targetTopic: "user-events.processed",
  ...userEvents,
});

/**
 * The Avro schema the payment pipeline reads with. Producers may still write v1 (no `currency`):
 * Avro schema resolution fills in the default, so the transform always sees a currency.
 */
export const PAYMENT_READER_SCHEMA = JSON.stringify({
  type: "record",
  name: "Payment",
  namespace: "demo.payments",
  fields: [
    { name: "payment_id", type: "string" },
    { name: "amount", type: "double" },
    { name: "currency", type: "string", default: "EUR" },
  ],
});

export const paymentSchema = z.looseObject({
  payment_id: z.string().min(1),
  amount: z.number().nonnegative(),
  currency: z.string().length(3),
});

/**
 * Card payments: Avro in the Confluent wire format, schemas from a Confluent-compatible registry
 * (SCHEMA_REGISTRY_URL; the local stack's by default). Amounts become integer cents; the target
 * gets JSON. The registry client and its cache live for the container (built here, at INIT).
 */
export const paymentPipeline = definePipeline({
  sourceTopic: "card-payments",
  targetTopic: "card-payments.processed",
  ...schemaRegistryFormat({
    framing: SOURCE_FRAMINGS.confluent,
    registry: new ConfluentSchemaRegistry({ url: localSchemaRegistryUrl() }),
    format: DATA_FORMATS.avro,
    avroReaderSchema: PAYMENT_READER_SCHEMA,
  }),
  schema: paymentSchema,
  transform: (payment) => ({ ...payment, amount_cents: Math.round(payment.amount * 100) }),
});

export const pipelines = [employeePipeline, userEventPipeline, paymentPipeline];
