/**
 * kafkajs messages to the exact invocation event of a Kafka event source mapping
 * (../shared/KAFKA-LAMBDA-FACTS.md section 1), and the 6 MB payload cap. Pure: no I/O.
 */
import type { IHeaders, KafkaMessage } from "kafkajs";
import type { KafkaEvent, KafkaEventHeader, KafkaEventRecord } from "../functions/lib/core/types";
import { MAX_PAYLOAD_BYTES, TIMESTAMP_TYPES } from "./constants";
import type { EventSourceName, PolledRecord } from "./types";

/** The parts of the event that do not depend on the records. */
export interface EventEnvelope {
  readonly eventSource: EventSourceName;
  readonly eventSourceArn: string | undefined;
  readonly bootstrapServers: string;
}

/** The record-batch attribute kafkajs decodes but does not type: 1 means LOG_APPEND_TIME. */
interface WithBatchContext {
  readonly batchContext?: { readonly timestampType?: number };
}

/**
 * Converts one fetched message, once, into the record of an invocation event: key and value in
 * base64 (`null` when Kafka has null), headers as one-entry objects of raw bytes (repeated names stay
 * repeated), timestamps as numbers.
 *
 * Header order is kafkajs's, not the wire's: its decoder folds headers into an object, so all values
 * of a repeated name come together at the name's first appearance (`a1,b,a2` arrives as `a1,a2,b`),
 * and names that look like array indexes ("0", "7") come first. The values of one name keep their
 * wire order. Lambda itself keeps wire order; a handler that depends on the order of different names
 * would see a difference here.
 *
 * @example
 * const record = toPolledRecord("orders", 0, message);
 * record.event.value; // "eyJpZCI6MX0="
 */
export function toPolledRecord(topic: string, partition: number, message: KafkaMessage): PolledRecord {
  const timestampType =
    (message as WithBatchContext).batchContext?.timestampType === 1
      ? TIMESTAMP_TYPES.logAppendTime
      : TIMESTAMP_TYPES.createTime;
  const event: KafkaEventRecord = {
    topic,
    partition,
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    timestampType,
    key: message.key === null ? null : message.key.toString("base64"),
    value: message.value === null ? null : message.value.toString("base64"),
    headers: eventHeaders(message.headers),
  };
  const eventJson = JSON.stringify(event);
  return {
    topic,
    partition,
    offset: event.offset,
    timestamp: event.timestamp,
    key: message.key,
    event,
    eventJson,
    eventBytes: Buffer.byteLength(eventJson),
  };
}

function eventHeaders(headers: IHeaders | undefined): KafkaEventHeader[] {
  const result: KafkaEventHeader[] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    const values = Array.isArray(value) ? value : [value];
    for (const one of values) {
      // kafkajs reads `headers[name]` of a plain object before storing a value: for a name such as
      // "constructor" or "__proto__" it finds the prototype's member and keeps it as a first value.
      if (typeof one !== "string" && !Buffer.isBuffer(one)) continue;
      result.push({ [name]: [...(typeof one === "string" ? Buffer.from(one) : one)] });
    }
  }
  return result;
}

/** `<topic>-<partition>`: the key of the event's `records` and of a partial response. */
export function partitionId(record: { readonly topic: string; readonly partition: number }): string {
  return `${record.topic}-${record.partition}`;
}

/**
 * The invocation event for records of one batch, grouped by topic-partition in offset order.
 *
 * @example
 * const event = buildInvocationEvent(records, { eventSource: "SelfManagedKafka", eventSourceArn: undefined, bootstrapServers: "127.0.0.1:9092" });
 */
export function buildInvocationEvent(records: readonly PolledRecord[], envelope: EventEnvelope): KafkaEvent {
  const groups: Record<string, KafkaEventRecord[]> = {};
  for (const record of [...records].sort(byPartitionThenOffset)) {
    const id = partitionId(record);
    let group = groups[id];
    if (group === undefined) {
      group = [];
      groups[id] = group;
    }
    group.push(record.event);
  }
  return {
    eventSource: envelope.eventSource,
    ...(envelope.eventSourceArn === undefined ? {} : { eventSourceArn: envelope.eventSourceArn }),
    bootstrapServers: envelope.bootstrapServers,
    records: groups,
  };
}

/**
 * The invocation event as the JSON text Lambda sends, assembled from each record's JSON (made once,
 * when it was fetched) rather than serializing the batch again on every invocation and retry.
 * Equal, byte for byte, to `JSON.stringify(buildInvocationEvent(records, envelope))`.
 */
export function serializeInvocationEvent(records: readonly PolledRecord[], envelope: EventEnvelope): string {
  const groups = new Map<string, string[]>();
  for (const record of [...records].sort(byPartitionThenOffset)) {
    const id = partitionId(record);
    let group = groups.get(id);
    if (group === undefined) {
      group = [];
      groups.set(id, group);
    }
    group.push(record.eventJson);
  }
  const parts: string[] = [];
  for (const [id, jsons] of groups) parts.push(`${JSON.stringify(id)}:[${jsons.join(",")}]`);
  const arn =
    envelope.eventSourceArn === undefined
      ? ""
      : `"eventSourceArn":${JSON.stringify(envelope.eventSourceArn)},`;
  return (
    `{"eventSource":${JSON.stringify(envelope.eventSource)},${arn}` +
    `"bootstrapServers":${JSON.stringify(envelope.bootstrapServers)},"records":{${parts.join(",")}}}`
  );
}

/**
 * How many of `records`, taken in order, fit in one invocation payload. Exact, without serializing
 * the event: the size is the envelope plus each record's JSON plus the brackets and commas around it.
 * Returns 0 when even the first record alone is over the cap (AWS: `MaximumPayloadSizeExceeded`).
 */
export function countWithinPayloadCap(
  records: readonly PolledRecord[],
  envelope: EventEnvelope,
  maxBytes: number = MAX_PAYLOAD_BYTES,
): number {
  let bytes = envelopeBytes(envelope);
  const seen = new Set<string>();
  for (let i = 0; i < records.length; i += 1) {
    const record = records[i] as PolledRecord;
    const id = partitionId(record);
    if (seen.has(id)) {
      bytes += 1 + record.eventBytes;
    } else {
      // `"id":[` ... `]`, preceded by a comma unless it is the first group.
      bytes += (seen.size > 0 ? 1 : 0) + Buffer.byteLength(JSON.stringify(id)) + 3 + record.eventBytes;
      seen.add(id);
    }
    if (bytes > maxBytes) return i;
  }
  return records.length;
}

/** Bytes of the serialized event; equals `Buffer.byteLength(JSON.stringify(buildInvocationEvent(...)))`. */
export function payloadBytes(records: readonly PolledRecord[], envelope: EventEnvelope): number {
  let bytes = envelopeBytes(envelope);
  const perGroup = new Map<string, number>();
  for (const record of records) {
    const id = partitionId(record);
    const current = perGroup.get(id);
    perGroup.set(id, current === undefined ? record.eventBytes : current + 1 + record.eventBytes);
  }
  let first = true;
  for (const [id, groupBytes] of perGroup) {
    bytes += (first ? 0 : 1) + Buffer.byteLength(JSON.stringify(id)) + 3 + groupBytes;
    first = false;
  }
  return bytes;
}

function envelopeBytes(envelope: EventEnvelope): number {
  return Buffer.byteLength(JSON.stringify(buildInvocationEvent([], envelope)));
}

function byPartitionThenOffset(a: PolledRecord, b: PolledRecord): number {
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  return a.partition - b.partition || a.offset - b.offset;
}
