/**
 * The floor of any processor that copies records from one topic to another: the bare loop's work
 * (base64, `JSON.parse`, the schema, the transform, `JSON.stringify`) plus what each output must
 * carry so that it is the same record downstream, its key and its headers as bytes, kept in one
 * message object per record until the end, as a producer keeps a batch until it is acknowledged.
 *
 * It does nothing else: no strict decoding, no checks of the event, no outcomes, no partial batch
 * response, no dead letters (an invalid record is skipped), no size limits, no lineage headers. The
 * output value stays the JSON string (a producer can encode a string straight into its request).
 * It is the least a copy needs, so `floor / bare loop` is about the most `processing` can reach:
 * its goal (0.9) is only reachable if that ratio is above it.
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { KafkaEvent } from "../functions/lib/core/types";

export interface FloorMessage {
  readonly key: Buffer | null;
  readonly value: string;
  readonly headers: readonly { readonly name: string; readonly value: Buffer }[];
}

/** Runs the floor over every record of `event`; returns the messages it would produce. */
export function copyFloor<Schema extends StandardSchemaV1>(
  event: KafkaEvent,
  schema: Schema,
  transform: (value: StandardSchemaV1.InferOutput<Schema>) => unknown,
): FloorMessage[] {
  const validate = schema["~standard"].validate;
  const messages: FloorMessage[] = [];
  for (const records of Object.values(event.records)) {
    for (const record of records) {
      const value: unknown = JSON.parse(Buffer.from(record.value ?? "", "base64").toString("utf8"));
      const result = validate(value) as StandardSchemaV1.Result<StandardSchemaV1.InferOutput<Schema>>;
      if (result.issues !== undefined) continue;
      const headers: { name: string; value: Buffer }[] = [];
      for (const header of record.headers ?? []) {
        for (const name in header) headers.push({ name, value: bytesOf(header[name] ?? []) });
      }
      messages.push({
        key: record.key === null || record.key === undefined ? null : Buffer.from(record.key, "base64"),
        value: JSON.stringify(transform(result.value)),
        headers,
      });
    }
  }
  return messages;
}

/** The cheapest copy of a header's byte array (the way the processor decodes one, without its checks). */
function bytesOf(array: readonly number[]): Buffer {
  const bytes = Buffer.allocUnsafe(array.length);
  for (let i = 0; i < array.length; i += 1) bytes[i] = array[i] as number;
  return bytes;
}
