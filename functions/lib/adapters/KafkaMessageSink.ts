import { CompressionTypes, type Kafka, type Producer } from "kafkajs";
import type { KafkaCompression } from "../config";
import type { DeliveryReceipt, MessageSink } from "../core/ports";
import type { OutgoingMessage } from "../core/types";
import { isConnectionError, translateKafkaError } from "./kafkaErrors";
import { PartitionChoices } from "./kafkaPartitioning";

export interface KafkaMessageSinkOptions {
  /** The client, or how to build it on first use (SCRAM credentials come from Secrets Manager). */
  readonly kafka: Kafka | (() => Promise<Kafka>);
  /** Per-request broker timeout; the processor's own deadline bounds the total. @default 10_000 */
  readonly requestTimeoutMs?: number;
  /**
   * Off by default: compression costs CPU in the function (a fraction of a vCPU on Lambda) to save
   * bytes on the network and the brokers' disks; JSON records often compress several times over.
   * @default "none"
   */
  readonly compression?: KafkaCompression;
}

const COMPRESSION_TYPES: Readonly<Record<KafkaCompression, CompressionTypes>> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
};

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
  private readonly compression: CompressionTypes;
  private connecting: Promise<Producer> | undefined;
  private readonly partitions = new PartitionChoices();

  constructor(private readonly options: KafkaMessageSinkOptions) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.compression = COMPRESSION_TYPES[options.compression ?? "none"];
  }

  async send(topic: string, messages: readonly OutgoingMessage[]): Promise<DeliveryReceipt[]> {
    if (messages.length === 0) return [];
    try {
      const producer = await this.connect();
      const kafkaMessages = messages.map((m) => this.partitions.toKafkaMessage(m));
      const metadata = await producer.send({
        topic,
        acks: -1,
        timeout: this.requestTimeoutMs,
        compression: this.compression,
        messages: kafkaMessages,
      });
      return this.partitions.receipts(kafkaMessages, metadata);
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
      createPartitioner: this.partitions.partitioner(),
      // A missing topic must surface as an error (retried, then reported), never be created with
      // broker defaults that nobody chose.
      allowAutoTopicCreation: false,
      // Short client-side retries: the processor retries with its own deadline-aware backoff.
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
    return this.producer;
  }
}
