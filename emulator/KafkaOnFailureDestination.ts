import type { ICustomPartitioner, Message, Producer, RecordMetadata } from "kafkajs";
import { EmulatorError } from "./errors";
import { partitionForKey } from "./keyPartitioner";
import { buildKafkaFailureMessages, type FailureDocumentContext } from "./onFailure";
import type { FailedBatch, OnFailureDestination } from "./types";

export interface KafkaOnFailureDestinationOptions {
  /**
   * A producer on the source cluster (AWS only allows a topic of the same cluster), created with
   * {@link explicitPartitioner} so that the partition chosen here is the one the message goes to.
   */
  readonly producer: Producer;
  readonly topic: string;
  readonly context: FailureDocumentContext;
  /** Partitions of `topic`; asked once, and again after a failed delivery (the topic may have grown). */
  readonly partitionCount: () => Promise<number>;
}

/**
 * kafkajs runs its partitioner again over every message before each internal retry of a send, and
 * then sends only to brokers that have not answered yet: a keyless message that round-robin moves
 * to a partition whose broker already answered is never sent, yet `send` resolves. So the partition
 * of every message is chosen once, before the send, and this partitioner only reads it back.
 */
export const explicitPartitioner: ICustomPartitioner =
  () =>
  ({ message }) => {
    if (typeof message.partition !== "number") {
      throw new EmulatorError("a message reached the partitioner without an explicit partition");
    }
    return message.partition;
  };

/**
 * One message per failed record, keyed by the record's own key, without provenance headers.
 *
 * Each message's partition is fixed before sending: murmur2 of the key as the Java client does, or
 * round-robin (kept across deliveries) for a record without a key. A delivery counts only when every
 * partition it sent to answered with an acknowledgement and no error.
 */
export class KafkaOnFailureDestination implements OnFailureDestination {
  private connected: Promise<void> | undefined;
  private partitions: number | undefined;
  private nextKeyless = 0;

  constructor(private readonly options: KafkaOnFailureDestinationOptions) {}

  get description(): string {
    return `kafka://${this.options.topic}`;
  }

  async deliver(batch: FailedBatch): Promise<string[]> {
    this.connected ??= this.options.producer.connect();
    try {
      await this.connected;
    } catch (error) {
      this.connected = undefined;
      throw error;
    }
    try {
      this.partitions ??= await this.options.partitionCount();
      const count = this.partitions;
      const messages: Message[] = buildKafkaFailureMessages(batch, this.options.context).map((m) => ({
        ...m,
        partition: m.key === null ? this.nextKeyless++ % count : partitionForKey(m.key, count),
      }));
      const results = await this.options.producer.send({ topic: this.options.topic, acks: -1, messages });
      return this.locations(messages, results);
    } catch (error) {
      this.partitions = undefined;
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.connected !== undefined) await this.options.producer.disconnect();
  }

  /** `kafka://<topic>/<partition>@<offset>` per partition written, once each is acknowledged. */
  private locations(messages: readonly Message[], results: readonly RecordMetadata[]): string[] {
    const sentTo = [...new Set(messages.map((m) => m.partition as number))].sort((a, b) => a - b);
    return sentTo.map((partition) => {
      const receipt = results.find(
        (r) => r.topicName === this.options.topic && r.partition === partition && r.errorCode === 0,
      );
      if (receipt === undefined) {
        throw new EmulatorError(
          `no acknowledgement for partition ${partition} of ${this.options.topic}; the delivery is retried`,
        );
      }
      return `kafka://${this.options.topic}/${partition}@${receipt.baseOffset ?? "?"}`;
    });
  }
}
