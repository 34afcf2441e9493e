/**
 * Kafka helpers for tests against the local broker.
 */
import type { Consumer, Kafka, KafkaMessage } from "kafkajs";

export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
}

export interface ConsumeOptions {
  readonly topic: string;
  readonly groupId: string;
  /** Resolve once this many records arrived. */
  readonly count: number;
  readonly timeoutMs?: number;
  /** Commit each record's next offset after reading it (autoCommit is off). */
  readonly commit?: boolean;
}

/**
 * Reads a topic from the beginning with a fresh consumer group until `count` records arrived, then
 * leaves the group. Fails with what was read so far when the timeout passes first.
 */
export async function consumeRecords(kafka: Kafka, options: ConsumeOptions): Promise<ConsumedRecord[]> {
  const consumer = kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    maxWaitTimeInMs: 200,
  });
  const records: ConsumedRecord[] = [];
  const seen = new Set<string>();
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `read ${records.length} of ${options.count} records from ${options.topic} within ` +
              `${options.timeoutMs ?? 30_000} ms`,
          ),
        );
      }, options.timeoutMs ?? 30_000);
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ topic, partition, message }) => {
            // A rebalance (kafkajs rejoins when a new topic's metadata settles) replays uncommitted
            // records; counting them twice would end the read with a partition never seen.
            const id = `${topic}:${partition}:${message.offset}`;
            if (seen.has(id)) return;
            seen.add(id);
            records.push({ topic, partition, message });
            if (options.commit) await commitNext(consumer, topic, partition, message.offset);
            if (records.length >= options.count) {
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

async function commitNext(consumer: Consumer, topic: string, partition: number, offset: string) {
  await consumer.commitOffsets([{ topic, partition, offset: (BigInt(offset) + 1n).toString() }]);
}
