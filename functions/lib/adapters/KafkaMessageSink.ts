import { CompressionTypes, type Kafka, type Producer } from "kafkajs";
import type { KafkaCompression } from "../config";
import { ProduceRejectedError } from "../core/errors";
import type { DeliveryReceipt, MessageSink } from "../core/ports";
import type { OutgoingMessage } from "../core/types";
import { translateKafkaError } from "./kafkaErrors";
import { PartitionChoices } from "./kafkaPartitioning";
import { ProducerGenerations } from "./ProducerGenerations";
import { sharedOnSuccess } from "./sharedOnSuccess";

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

/** One kafkajs producer and the sends still using it. */
/**
 * A kafkajs producer behind the {@link MessageSink} port: acks from all in-sync replicas, created
 * once per container and reused across invocations.
 *
 * After any failure other than the broker rejecting the records, the producer is replaced by a new
 * one (its sends still in flight finish first). kafkajs can be left unable to recover by itself:
 * when a bootstrap broker stops answering during the ApiVersions request of a new connection, it
 * keeps that open socket without API versions and fails every later request with "Broker not
 * connected" (the chaos campaign's seed 13, `test/integration/processor/sinkAfterPause.test.ts`).
 * A new producer gets a new cluster, new connections and fresh metadata.
 *
 * A message's `preferredPartition` (the source partition of a dead letter) is honoured when the
 * topic has that many partitions, otherwise the key decides, as in the Java client.
 */
export class KafkaMessageSink implements MessageSink {
  private readonly requestTimeoutMs: number;
  private readonly compression: CompressionTypes;
  private readonly producers: ProducerGenerations<Producer>;
  /** Built once: a replaced producer reuses the client (and its SCRAM credentials or certificates). */
  private readonly client: () => Promise<Kafka>;
  private readonly partitions = new PartitionChoices();

  constructor(options: KafkaMessageSinkOptions) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.client = sharedOnSuccess(options.kafka);
    this.producers = new ProducerGenerations({
      open: async () => {
        const producer = await this.createProducer();
        await producer.connect();
        return producer;
      },
      close: (producer) => producer.disconnect(),
    });
    this.compression = COMPRESSION_TYPES[options.compression ?? "none"];
  }

  async send(topic: string, messages: readonly OutgoingMessage[]): Promise<DeliveryReceipt[]> {
    if (messages.length === 0) return [];
    return this.producers.send(
      async (producer) => {
        const kafkaMessages = messages.map((m) => this.partitions.toKafkaMessage(m));
        const metadata = await producer.send({
          topic,
          acks: -1,
          timeout: this.requestTimeoutMs,
          compression: this.compression,
          messages: kafkaMessages,
        });
        return this.partitions.receipts(kafkaMessages, metadata);
      },
      (error) => translateKafkaError(error, topic),
      (error) => error instanceof ProduceRejectedError,
    );
  }

  /** Disconnects the producer at once, even while sends still use it. */
  async disconnect(): Promise<void> {
    await this.producers.close({ afterInFlight: false });
  }

  private async createProducer(): Promise<Producer> {
    const kafka = await this.client();
    return kafka.producer({
      createPartitioner: this.partitions.partitioner(),
      // A missing topic must surface as an error (retried, then reported), never be created with
      // broker defaults that nobody chose.
      allowAutoTopicCreation: false,
      // Short client-side retries: the processor retries with its own deadline-aware backoff.
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
  }
}
