import {
  type ICustomPartitioner,
  type IHeaders,
  type Kafka,
  type Message,
  Partitioners,
  type Producer,
  type RecordMetadata,
} from "kafkajs";
import { TransientError } from "../core/errors";
import type { DeliveryReceipt, MessageSink } from "../core/ports";
import type { OutgoingMessage } from "../core/types";
import { isConnectionError, translateKafkaError } from "./kafkaErrors";

export interface KafkaMessageSinkOptions {
  /** The client, or how to build it on first use (SCRAM credentials come from Secrets Manager). */
  readonly kafka: Kafka | (() => Promise<Kafka>);
  /** Per-request broker timeout; the processor's own deadline bounds the total. @default 10_000 */
  readonly requestTimeoutMs?: number;
}

/**
 * A kafkajs producer behind the {@link MessageSink} port: acks from all in-sync replicas, created
 * once per container and reused across invocations, reconnecting after the broker went away.
 *
 * A message's `preferredPartition` (the source partition of a dead letter) is honoured when the
 * topic has that many partitions, otherwise the key decides, as in the Java client.
 */
export class KafkaMessageSink implements MessageSink {
  private producer: Producer | undefined;
  private readonly requestTimeoutMs: number;
  private connecting: Promise<Producer> | undefined;
  private readonly preferred = new WeakMap<Message, number>();
  /** The partition the partitioner chose for each message, to turn base offsets into receipts. */
  private readonly chosen = new WeakMap<Message, number>();

  constructor(private readonly options: KafkaMessageSinkOptions) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  }

  async send(topic: string, messages: readonly OutgoingMessage[]): Promise<DeliveryReceipt[]> {
    if (messages.length === 0) return [];
    try {
      const producer = await this.connect();
      const kafkaMessages = messages.map((m) => this.toKafkaMessage(m));
      const metadata = await producer.send({
        topic,
        acks: -1,
        timeout: this.requestTimeoutMs,
        messages: kafkaMessages,
      });
      return this.receipts(kafkaMessages, metadata);
    } catch (error) {
      if (isConnectionError(error)) this.connecting = undefined;
      throw translateKafkaError(error, topic);
    }
  }

  async disconnect(): Promise<void> {
    this.connecting = undefined;
    await this.producer?.disconnect();
  }

  private connect(): Promise<Producer> {
    if (this.connecting === undefined) {
      const attempt = this.createProducer().then(async (producer) => {
        await producer.connect();
        return producer;
      });
      this.connecting = attempt;
      attempt.catch(() => {
        if (this.connecting === attempt) this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  private async createProducer(): Promise<Producer> {
    if (this.producer !== undefined) return this.producer;
    const kafka = typeof this.options.kafka === "function" ? await this.options.kafka() : this.options.kafka;
    this.producer ??= kafka.producer({
      createPartitioner: this.partitioner(),
      // A missing topic must surface as an error (retried, then reported), never be created with
      // broker defaults that nobody chose.
      allowAutoTopicCreation: false,
      // Short client-side retries: the processor retries with its own deadline-aware backoff.
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
    return this.producer;
  }

  private toKafkaMessage(message: OutgoingMessage): Message {
    const headers: IHeaders = {};
    for (const { name, value } of message.headers) {
      const existing = headers[name];
      if (existing === undefined) headers[name] = value;
      else headers[name] = Array.isArray(existing) ? [...existing, value] : [existing as Buffer, value];
    }
    const kafkaMessage: Message = { key: message.key, value: message.value, headers };
    if (message.timestamp !== undefined) kafkaMessage.timestamp = String(message.timestamp);
    if (message.preferredPartition !== undefined)
      this.preferred.set(kafkaMessage, message.preferredPartition);
    return kafkaMessage;
  }

  /**
   * kafkajs keeps the given order within a partition, so the n-th message there has base + n.
   *
   * kafkajs silently skips partitions missing from its metadata (seen on KRaft right after a topic
   * is created), acknowledging a send that wrote nothing for them. A message without a broker
   * acknowledgement for its partition therefore fails the send: retried, never lost.
   */
  private receipts(messages: readonly Message[], metadata: readonly RecordMetadata[]): DeliveryReceipt[] {
    const next = new Map<number, number>();
    for (const m of metadata) if (m.baseOffset !== undefined) next.set(m.partition, Number(m.baseOffset));
    return messages.map((message) => {
      const partition = this.chosen.get(message) ?? -1;
      const offset = next.get(partition);
      if (offset === undefined) {
        throw new TransientError(`no acknowledgement for partition ${partition}: broker metadata incomplete`);
      }
      next.set(partition, offset + 1);
      return { partition, offset };
    });
  }

  private partitioner(): ICustomPartitioner {
    const { preferred, chosen } = this;
    return () => {
      const byKey = Partitioners.DefaultPartitioner();
      return (args) => {
        const wanted = preferred.get(args.message);
        const partition =
          wanted !== undefined && wanted < args.partitionMetadata.length ? wanted : byKey(args);
        chosen.set(args.message, partition);
        return partition;
      };
    };
  }
}
