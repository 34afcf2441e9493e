import type { Consumer, Kafka, KafkaMessage } from "kafkajs";
import { CANARY_KINDS, type CanaryKind } from "../../functions/lib/canary/canaryRecord";
import type { TopicCopy } from "./observation";

const KINDS = new Set<string>(Object.values(CANARY_KINDS));

/**
 * Follows the canary's target and DLQ topics from where they ended before the run, keeping the copies
 * of this run's records (their key is the run id; the function keeps the original key). Started before
 * the records are produced, so joining the group overlaps with the pipeline's work.
 *
 * The group (`canary-check-<run-id>`) never commits an offset: it leaves nothing to clean up but an
 * empty group, which the broker drops.
 */
export class TopicWatcher {
  private readonly found = new Map<string, TopicCopy[]>();
  private consumer: Consumer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly runId: string,
    /** Per topic, the offset each partition starts at; partitions not listed start at 0. */
    private readonly from: ReadonlyMap<string, ReadonlyMap<number, number>>,
  ) {}

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: `canary-check-${this.runId}`, maxWaitTimeInMs: 250 });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.from.keys()], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const start = this.from.get(batch.topic)?.get(batch.partition) ?? 0;
        for (const message of batch.messages) {
          if (Number(message.offset) < start || message.key?.toString("utf8") !== this.runId) continue;
          this.add(toCopy(batch.topic, batch.partition, message));
        }
      },
    });
  }

  /** This run's copies in `topic` so far, in the order read. */
  copies(topic: string): TopicCopy[] {
    return [...(this.found.get(topic) ?? [])];
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
  }

  private add(copy: TopicCopy): void {
    const list = this.found.get(copy.topic) ?? [];
    // A rebalance can hand the same records over again.
    if (list.some((c) => c.partition === copy.partition && c.offset === copy.offset)) return;
    list.push(copy);
    this.found.set(copy.topic, list);
  }
}

function toCopy(topic: string, partition: number, message: KafkaMessage): TopicCopy {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) headers[name] = last.toString();
  }
  return { topic, partition, offset: Number(message.offset), kind: kindOf(message.value), headers };
}

function kindOf(value: Buffer | null): CanaryKind | undefined {
  try {
    const kind = (JSON.parse(value?.toString("utf8") ?? "null") as { kind?: unknown } | null)?.kind;
    return typeof kind === "string" && KINDS.has(kind) ? (kind as CanaryKind) : undefined;
  } catch {
    return undefined;
  }
}
