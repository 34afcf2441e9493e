import type { MessageToProduce, ProduceResult } from "@platformatic/kafka";
import { murmur2 } from "@platformatic/kafka";
import { TransientError } from "../core/errors";
import type { DeliveryReceipt } from "../core/ports";
import type { OutgoingMessage } from "../core/types";

export type PlatformaticMessage = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;

/** What the partition choice reads of a topic's metadata (`ClusterTopicMetadata`). */
export interface TopicPartitions {
  readonly partitionsCount: number;
  readonly partitions: readonly { readonly leader: number }[];
}

/** The Java client's (and kafkajs's `DefaultPartitioner`'s) `toPositive(murmur2(key))`. */
const POSITIVE = 0x7fffffff;

/**
 * Partition choices for @platformatic/kafka, made by the sink before the library sees a message:
 * every message carries an explicit `partition`, so the library's retries (which keep the message
 * objects and their partition) and a re-sent request after stale metadata write where the first
 * attempt would have, and the receipt is read for that partition only.
 *
 * The same rules as the kafkajs sink (`kafkaPartitioning.ts`): the preferred partition when the
 * topic has it (a dead letter stays on its source partition), otherwise the Java client's murmur2
 * of the key modulo the partition count (the same partition kafkajs's `DefaultPartitioner` and
 * the Java producer pick for the same key), or round robin over partitions with a leader for
 * keyless messages.
 */
export class PlatformaticPartitions {
  private readonly nextKeyless = new Map<string, number>();

  /** The messages to give `producer.send`, in the given order, each with its partition decided. */
  toMessages(
    topic: string,
    topicMetadata: TopicPartitions,
    messages: readonly OutgoingMessage[],
  ): PlatformaticMessage[] {
    const count = topicMetadata.partitionsCount;
    if (!(count > 0)) throw new TransientError(`no partitions known for "${topic}"`);
    return messages.map((message) => {
      const produced: PlatformaticMessage = {
        topic,
        partition: this.partitionOf(topic, topicMetadata, message),
        // Null stays null: a tombstone value, a keyless record (the library writes length -1).
        key: message.key as Buffer,
        value: message.value as Buffer,
      };
      if (message.headers.length > 0) produced.headers = headerMap(message);
      if (message.timestamp !== undefined) produced.timestamp = BigInt(message.timestamp);
      return produced;
    });
  }

  private partitionOf(topic: string, topicMetadata: TopicPartitions, message: OutgoingMessage): number {
    const count = topicMetadata.partitionsCount;
    const wanted = message.preferredPartition;
    if (wanted !== undefined && wanted >= 0 && wanted < count) return wanted;
    if (message.key !== null) return (murmur2(message.key) & POSITIVE) % count;
    const available = topicMetadata.partitions
      .map((p, index) => (p.leader >= 0 ? index : -1))
      .filter((index) => index >= 0);
    const choices = available.length > 0 ? available : [...Array(count).keys()];
    const turn = this.nextKeyless.get(topic) ?? 0;
    this.nextKeyless.set(topic, turn + 1);
    return choices[turn % choices.length] as number;
  }
}

/**
 * Headers as the library writes them: one entry per header in the given order. Keys are distinct
 * Buffer objects, so a name that repeats is written twice (a Map keyed by strings would keep one).
 */
function headerMap(message: OutgoingMessage): Map<Buffer, Buffer> {
  const headers = new Map<Buffer, Buffer>();
  for (const { name, value } of message.headers) headers.set(Buffer.from(name), value);
  return headers;
}

/**
 * One receipt per message, in order: the library keeps the given order within a partition (one
 * record batch per partition), so the n-th message there has base offset + n. A message whose
 * partition has no acknowledgement fails the send (retried, never lost).
 */
export function receiptsOf(
  topic: string,
  messages: readonly PlatformaticMessage[],
  result: ProduceResult,
): DeliveryReceipt[] {
  const next = new Map<number, number>();
  for (const { topic: name, partition, offset } of result.offsets ?? []) {
    if (name === topic && offset >= 0n) next.set(partition, Number(offset));
  }
  return messages.map((message) => {
    const partition = message.partition as number;
    const offset = next.get(partition);
    if (offset === undefined) {
      throw new TransientError(
        `no acknowledgement for partition ${partition}: the broker did not confirm it`,
      );
    }
    next.set(partition, offset + 1);
    return { partition, offset };
  });
}
