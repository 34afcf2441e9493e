import type { Producer } from "kafkajs";
import { buildKafkaFailureMessages, type FailureDocumentContext } from "./onFailure";
import type { FailedBatch, OnFailureDestination } from "./types";

export interface KafkaOnFailureDestinationOptions {
  /** A producer on the source cluster (AWS only allows a topic of the same cluster). */
  readonly producer: Producer;
  readonly topic: string;
  readonly context: FailureDocumentContext;
}

/** One message per failed record, keyed by the record's own key, without provenance headers. */
export class KafkaOnFailureDestination implements OnFailureDestination {
  private connected: Promise<void> | undefined;

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
    const messages = buildKafkaFailureMessages(batch, this.options.context);
    const results = await this.options.producer.send({ topic: this.options.topic, acks: -1, messages });
    return results.map((r) => `kafka://${r.topicName}/${r.partition}@${r.baseOffset ?? "?"}`);
  }

  async close(): Promise<void> {
    if (this.connected !== undefined) await this.options.producer.disconnect();
  }
}
