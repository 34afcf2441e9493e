import { randomUUID } from "node:crypto";
import type { Kafka, KafkaMessage } from "kafkajs";
import { topicOffsets } from "../topicOffsets";

export interface TopicRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

/** Per partition, the offset to start at; partitions not listed start at the beginning. */
export type StartOffsets = ReadonlyMap<number, number>;

/**
 * Reads a topic from the given offsets up to its end as of the call, with a throwaway consumer group,
 * and returns every record with its headers as UTF-8 strings (the last value of a repeated name).
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  from: StartOffsets = new Map(),
  timeoutMs = 30_000,
): Promise<TopicRecord[]> {
  const ends = await endOffsets(kafka, topic);
  const reached = new Map<number, number>();
  // Partitions with nothing to read count as read to their end from the start.
  for (const [partition, end] of ends) {
    if ((from.get(partition) ?? 0) >= end) reached.set(partition, end - 1);
  }
  if (reached.size === ends.size) return [];

  // A fresh group reading from the beginning, records below `from` skipped: setting a new group's
  // offsets (or deleting it afterwards) costs kafkajs seconds of coordinator retries.
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}`, maxWaitTimeInMs: 200 });
  const records: TopicRecord[] = [];
  const done = () => [...ends].every(([p, end]) => (reached.get(p) ?? Number.NEGATIVE_INFINITY) >= end - 1);
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `reading ${topic}: got ${records.length} records, not at the end after ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const end = ends.get(batch.partition) ?? 0;
            const start = from.get(batch.partition) ?? 0;
            for (const message of batch.messages) {
              const offset = Number(message.offset);
              if (offset >= end || offset <= (reached.get(batch.partition) ?? Number.NEGATIVE_INFINITY))
                continue;
              if (offset >= start) records.push(toRecord(topic, batch.partition, message));
              reached.set(batch.partition, offset);
            }
            if (done()) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  return records;
}

function toRecord(topic: string, partition: number, message: KafkaMessage): TopicRecord {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) headers[name] = last.toString();
  }
  return {
    topic,
    partition,
    offset: Number(message.offset),
    key: message.key,
    value: message.value,
    headers,
  };
}

export interface EndOffsetsOptions {
  /** How long to keep asking while leadership moves. @default 15_000 */
  readonly electionTimeoutMs?: number;
}

/** Each partition's end offset now: read later from here to see only what was written after. */
export async function endOffsets(
  kafka: Kafka,
  topic: string,
  options: EndOffsetsOptions = {},
): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await topicOffsets(admin, topic, options.electionTimeoutMs);
    return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
  } finally {
    await admin.disconnect();
  }
}
