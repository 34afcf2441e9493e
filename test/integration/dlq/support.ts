/**
 * Helpers of the dead-letter integration tests: Lambda events built from records read off the real
 * broker (the way the event source mapping builds them), and topics per test.
 */
import type { Admin, IHeaders } from "kafkajs";
import type { KafkaEvent, KafkaEventRecord } from "../../../functions/lib/core/types";
import type { DeadLetterCatalog } from "../../../functions/lib/redrive/ports";
import { ensureTopics } from "../../../stack/provision";
import { topicSpec } from "../../../stack/topology";
import type { ConsumedRecord } from "../../support/kafka";
import { uniqueName } from "../../support/names";

/** Source, target and DLQ topic of one test, created on the local broker. */
export async function pipelineTopics(admin: Admin, suffix: string) {
  const source = uniqueName("it.dlq", suffix);
  const topics = { source, target: `${source}.processed`, dlq: `${source}.dlq` };
  await ensureTopics(admin, [topicSpec(topics.source), topicSpec(topics.target), topicSpec(topics.dlq)]);
  return topics;
}

/** An MSK invocation event holding the given records, byte for byte as Lambda encodes them. */
export function lambdaEvent(records: readonly ConsumedRecord[]): KafkaEvent {
  const grouped: Record<string, KafkaEventRecord[]> = {};
  for (const { topic, partition, message } of records) {
    const list = grouped[`${topic}-${partition}`] ?? [];
    grouped[`${topic}-${partition}`] = list;
    list.push({
      topic,
      partition,
      offset: Number(message.offset),
      timestamp: Number(message.timestamp),
      timestampType: "CREATE_TIME",
      key: message.key === null ? null : message.key.toString("base64"),
      value: message.value === null ? null : message.value.toString("base64"),
      headers: eventHeaders(message.headers ?? {}),
    });
  }
  return {
    eventSource: "aws:kafka",
    eventSourceArn: "arn:aws:kafka:us-east-1:111122223333:cluster/local/1",
    records: grouped,
  };
}

function eventHeaders(headers: IHeaders): Record<string, number[]>[] {
  return Object.entries(headers).flatMap(([name, value]) =>
    (Array.isArray(value) ? value : value === undefined ? [] : [value]).map((v) => ({
      [name]: [...Buffer.from(v)],
    })),
  );
}

export function headerOf(record: ConsumedRecord, name: string): string | undefined {
  const value = record.message.headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : Buffer.from(first).toString("utf8");
}

/** Records of a partition in offset order. */
export function byOffset(records: readonly ConsumedRecord[]): ConsumedRecord[] {
  return [...records].sort((a, b) => Number(a.message.offset) - Number(b.message.offset));
}

/**
 * The id the index gave the dead letter of a record, found by its coordinates, so tests hold whether
 * the processor writes tagged ids or the older untagged ones.
 */
export async function deadLetterIdOf(catalog: DeadLetterCatalog, record: ConsumedRecord): Promise<string> {
  const found = await catalog.atCoordinates(record.topic, record.partition, Number(record.message.offset));
  if (found.length !== 1) throw new Error(`expected one dead letter at ${record.topic}:${record.partition}`);
  return (found[0] as { id: string }).id;
}
