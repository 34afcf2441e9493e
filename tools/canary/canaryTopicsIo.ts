/** The canary's Kafka side: its topics exist, where they end, and the run's three records produced. */
import type { Admin, Producer } from "kafkajs";
import {
  CANARY_KINDS,
  type CanaryKind,
  type CanaryRecordValue,
  type CanaryTopics,
} from "../../functions/lib/canary/canaryRecord";
import { ensureTopics } from "../../stack/provision";
import { CanarySetupError } from "./errors";
import type { ProducedCanary } from "./observation";

/** The order on the partition: good, then transient-once (which stops the partition), then invalid. */
export const PRODUCE_ORDER: readonly CanaryKind[] = [
  CANARY_KINDS.good,
  CANARY_KINDS.transientOnce,
  CANARY_KINDS.invalid,
];

/**
 * Checks the canary's three topics exist; with `create` (the local stack) makes the missing ones.
 * The function never auto-creates topics, so in AWS a missing topic is the deployer's to create.
 */
export async function ensureCanaryTopics(admin: Admin, topics: CanaryTopics, create: boolean): Promise<void> {
  const present = new Set(await admin.listTopics());
  const missing = [topics.source, topics.target, topics.dlq].filter((t) => !present.has(t));
  if (missing.length === 0) return;
  if (!create) {
    throw new CanarySetupError(
      `the cluster has no topic ${missing.join(", ")}: create the canary's topics like the pipeline's others ` +
        "(the function never auto-creates a topic), then run the canary again",
    );
  }
  // The stack's own creation: on a cluster of several brokers it waits until every leader hosts its
  // partition, where kafkajs's `waitForLeaders` gives up on the first broker that has not heard yet.
  await ensureTopics(
    admin,
    missing.map((name) => ({ name, numPartitions: 1, replicationFactor: 1 })),
  );
}

/** Each partition's end offset: the run reads only what comes after. */
export async function endOffsets(admin: Admin, topic: string): Promise<Map<number, number>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
}

/**
 * Produces the run's three records in one request to partition 0, so the mapping fetches them in one
 * batch: good, transient-once, invalid. They share one timestamp (so their record ids share one tag,
 * which lets the cleanup find transient-once's attempt count from the invalid record's dead-letter id).
 */
export async function produceCanaryRecords(
  producer: Producer,
  topic: string,
  runId: string,
  now: Date,
): Promise<Record<CanaryKind, ProducedCanary>> {
  const values = PRODUCE_ORDER.map((kind) => {
    const value: CanaryRecordValue = { canary: runId, kind, sentAt: now.toISOString() };
    return { kind, bytes: Buffer.from(JSON.stringify(value)) };
  });
  const [metadata] = await producer.send({
    topic,
    acks: -1,
    messages: values.map(({ bytes }) => ({
      key: runId,
      value: bytes,
      partition: 0,
      timestamp: String(now.getTime()),
      headers: { "x-canary-run": runId },
    })),
  });
  const base = Number(metadata?.baseOffset ?? Number.NaN);
  if (!Number.isSafeInteger(base)) throw new CanarySetupError(`producing to ${topic} returned no offset`);
  return Object.fromEntries(
    values.map(({ kind, bytes }, i) => [kind, { kind, partition: 0, offset: base + i, value: bytes }]),
  ) as Record<CanaryKind, ProducedCanary>;
}
