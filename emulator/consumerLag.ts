import type { Admin } from "kafkajs";
import { topicOffsets } from "./topicOffsets";

export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  readonly committed: number | undefined;
  readonly highWatermark: number;
  readonly lag: number;
}

/**
 * Offset lag of a consumer group: per partition, the high watermark minus the committed offset
 * (everything when the group never committed), the `OffsetLag` Lambda publishes for a mapping. Asked
 * again while a leadership election is under way: the fault campaign reads it right after faults.
 *
 * @example
 * const lag = await consumerLag(admin, "my-group", ["orders"]);
 * lag.reduce((sum, p) => sum + p.lag, 0);
 */
export async function consumerLag(
  admin: Admin,
  groupId: string,
  topics: readonly string[],
): Promise<PartitionLag[]> {
  const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
  const result: PartitionLag[] = [];
  for (const topic of topics) {
    const ends = await topicOffsets(admin, topic);
    const mine = committed.find((c) => c.topic === topic)?.partitions ?? [];
    for (const end of ends) {
      const highWatermark = Number(end.high);
      const low = Number(end.low);
      const raw = mine.find((p) => p.partition === end.partition)?.offset;
      const offset = raw === undefined || Number(raw) < 0 ? undefined : Number(raw);
      result.push({
        topic,
        partition: end.partition,
        committed: offset,
        highWatermark,
        lag: Math.max(0, highWatermark - (offset ?? low)),
      });
    }
  }
  return result;
}
