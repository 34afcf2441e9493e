import { ProduceAcks, type ProduceResult, Producer } from "@platformatic/kafka";
import type { KafkaCompression } from "../config";
import { ProduceRejectedError } from "../core/errors";
import type { DeliveryReceipt, MessageSink } from "../core/ports";
import type { OutgoingMessage } from "../core/types";
import { ProducerGenerations } from "./ProducerGenerations";
import type { PlatformaticProducerOptions } from "./platformaticClient";
import { translatePlatformaticError } from "./platformaticErrors";
import {
  type PlatformaticMessage,
  PlatformaticPartitions,
  receiptsOf,
  type TopicPartitions,
} from "./platformaticRecords";
import { sharedOnSuccess } from "./sharedOnSuccess";

/** The part of a @platformatic/kafka producer the sink uses (a fake one in unit tests). */
export interface PlatformaticProducer {
  metadata(options: { topics: string[] }): Promise<{ topics: Map<string, TopicPartitions> }>;
  send(options: { messages: PlatformaticMessage[]; acks: number }): Promise<ProduceResult>;
  close(force?: boolean): Promise<void>;
}

/** Connection settings: broker list, client id, TLS. */
export type PlatformaticConnection = Pick<
  PlatformaticProducerOptions,
  "clientId" | "bootstrapBrokers" | "tls" | "tlsServerName"
>;

export interface PlatformaticMessageSinkOptions {
  /** The connection settings, or how to build them on first use (TLS secrets come from Secrets Manager). */
  readonly connection: PlatformaticConnection | (() => Promise<PlatformaticConnection>);
  /** Per-request broker timeout; the processor's own deadline bounds the total. @default 10_000 */
  readonly requestTimeoutMs?: number;
  /** Off by default, as for kafkajs (see `KafkaMessageSink`). @default "none" */
  readonly compression?: KafkaCompression;
  /** Builds a producer; tests give a scripted one. @default a @platformatic/kafka `Producer` */
  readonly createProducer?: (options: PlatformaticProducerOptions) => PlatformaticProducer;
}

/** One producer and the sends still using it. */
/**
 * A @platformatic/kafka producer behind the {@link MessageSink} port, with the guarantees of the
 * kafkajs sink (`KafkaMessageSink`): acks from all in-sync replicas on every request, one receipt
 * per message in order, a message's partition decided once by the sink (`platformaticRecords.ts`),
 * records the broker refuses raised as `ProduceRejectedError`, and after any other failure the
 * producer replaced by a new one (its sends still in flight finish first), so that a client left broken
 * by a broker that stopped answering mid-connection is never reused in a warm container.
 *
 * Chosen with `KAFKA_PRODUCER=platformatic`; its module is loaded by the first send, so the
 * default (kafkajs) bundle's INIT never reads it.
 */
export class PlatformaticMessageSink implements MessageSink {
  private readonly requestTimeoutMs: number;
  private readonly producers: ProducerGenerations<PlatformaticProducer>;
  /** Resolved once: a replaced producer reuses the settings (and the TLS secrets read for them). */
  private readonly settings: () => Promise<PlatformaticConnection>;
  private readonly partitions = new PlatformaticPartitions();
  private readonly createProducer: (options: PlatformaticProducerOptions) => PlatformaticProducer;

  constructor(private readonly options: PlatformaticMessageSinkOptions) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.settings = sharedOnSuccess(options.connection);
    this.createProducer =
      options.createProducer ?? ((settings) => new Producer<Buffer, Buffer, Buffer, Buffer>(settings));
    this.producers = new ProducerGenerations<PlatformaticProducer>({
      open: async () => this.createProducer(this.producerOptions(await this.settings())),
      close: (producer) => producer.close(),
    });
  }

  async send(topic: string, messages: readonly OutgoingMessage[]): Promise<DeliveryReceipt[]> {
    if (messages.length === 0) return [];
    return this.producers.send(
      async (producer) => {
        const metadata = await producer.metadata({ topics: [topic] });
        const topicMetadata = metadata.topics.get(topic);
        if (topicMetadata === undefined) throw new Error(`no metadata for "${topic}"`);
        const produced = this.partitions.toMessages(topic, topicMetadata, messages);
        // acks on every send: @platformatic/kafka 2.12.1 never reads a non-idempotent producer's own
        // `acks` option (`send` does `options.acks ??= idempotent ? ALL : LEADER`, producer.js:202).
        // Without it the leader acknowledged its own write alone: a record readers do not see until
        // the followers copy it, and lost for good if the leader goes before they do.
        const result = await producer.send({ messages: produced, acks: ProduceAcks.ALL });
        return receiptsOf(topic, produced, result);
      },
      (error) => translatePlatformaticError(error, topic),
      (error) => error instanceof ProduceRejectedError,
    );
  }

  /** Closes the producer now, or, while sends still use it, when the last of them finishes. */
  async disconnect(): Promise<void> {
    await this.producers.close({ afterInFlight: true });
  }

  private producerOptions(connection: PlatformaticConnection): PlatformaticProducerOptions {
    return {
      ...connection,
      // Ignored by the library for a non-idempotent producer (see `send`, which sets it per request);
      // kept so that the producer's settings say what its requests do.
      acks: ProduceAcks.ALL,
      // The broker's wait for the in-sync replicas, and the client's wait for any one answer.
      timeout: this.requestTimeoutMs,
      requestTimeout: this.requestTimeoutMs,
      connectTimeout: 3_000,
      compression: this.options.compression ?? "none",
      // A missing topic must surface as an error (retried, then reported), never be created with
      // broker defaults that nobody chose.
      autocreateTopics: false,
      // Short client-side retries: the processor retries with its own deadline-aware backoff.
      retries: 2,
      retryDelay: (_client, _operation, attempt) => Math.min(100 * 2 ** (attempt - 1), 1_000),
      // Not idempotent, as the kafkajs producer: an idempotent producer needs InitProducerId (and
      // IDEMPOTENT_WRITE on the cluster) and would retry forever; duplicates are at-least-once.
      idempotent: false,
    };
  }
}
