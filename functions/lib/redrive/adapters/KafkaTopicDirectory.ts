import type { Admin, Kafka } from "kafkajs";
import { translateKafkaError } from "../../adapters/kafkaErrors";
import type { TopicDirectory } from "../ports";

/** Topic existence from the cluster's metadata, with one admin connection reused for the run. */
export class KafkaTopicDirectory implements TopicDirectory {
  private admin: Promise<Admin> | undefined;

  constructor(private readonly kafka: () => Promise<Kafka>) {}

  async missing(topics: readonly string[]): Promise<string[]> {
    try {
      const admin = await this.connect();
      const present = new Set(await admin.listTopics());
      return topics.filter((t) => !present.has(t));
    } catch (error) {
      // A new admin gets a new cluster: kafkajs can be stuck on a broker only that leaves (see
      // KafkaMessageSink). The old one's sockets are closed, not leaked.
      void this.disconnect().catch(() => undefined);
      throw translateKafkaError(error, topics.join(", "));
    }
  }

  async disconnect(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await (await admin?.catch(() => undefined))?.disconnect();
  }

  private connect(): Promise<Admin> {
    this.admin ??= this.kafka().then(async (kafka) => {
      const admin = kafka.admin();
      await admin.connect();
      return admin;
    });
    return this.admin;
  }
}
