import type { DeadLetterEnvelope } from "../../functions/lib/core/deadLetter";
import type { DeadLetterArchive, DeliveryReceipt, MessageSink } from "../../functions/lib/core/ports";
import type { OutgoingMessage } from "../../functions/lib/core/types";

/** Decides, per call, whether a write fails and with what: undefined means it succeeds. */
export type FailureScript = (topicOrKey: string, call: number) => Error | undefined;

/** In-memory stand-in for the Kafka producer, for unit tests and the processing benchmark. */
export class MemoryMessageSink implements MessageSink {
  readonly topics = new Map<string, OutgoingMessage[]>();
  calls = 0;

  constructor(private readonly failure: FailureScript = () => undefined) {}

  async send(topic: string, messages: readonly OutgoingMessage[]): Promise<DeliveryReceipt[]> {
    this.calls += 1;
    const error = this.failure(topic, this.calls);
    if (error !== undefined) throw error;
    const list = this.topics.get(topic) ?? [];
    const first = list.length;
    list.push(...messages);
    this.topics.set(topic, list);
    return messages.map((m, i) => ({ partition: m.preferredPartition ?? 0, offset: first + i }));
  }

  messages(topic: string): OutgoingMessage[] {
    return this.topics.get(topic) ?? [];
  }
}

export class MemoryArchive implements DeadLetterArchive {
  readonly objects = new Map<string, DeadLetterEnvelope[]>();
  calls = 0;

  constructor(private readonly failure: FailureScript = () => undefined) {}

  async put(key: string, envelopes: readonly DeadLetterEnvelope[]): Promise<void> {
    this.calls += 1;
    const error = this.failure(key, this.calls);
    if (error !== undefined) throw error;
    this.objects.set(key, [...envelopes]);
  }

  envelopes(): DeadLetterEnvelope[] {
    return [...this.objects.values()].flat();
  }
}
