import type { Producer } from "kafkajs";
import type { SampleRecord } from "./sampleStream";

export interface ProducedSample {
  readonly sample: SampleRecord;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/**
 * Produces samples round-robin over the topic's partitions, in order, and returns where each landed,
 * so a run can later account for every record it produced.
 */
export async function produceSamples(
  producer: Producer,
  topic: string,
  samples: readonly SampleRecord[],
  partitions: number,
): Promise<ProducedSample[]> {
  const produced: ProducedSample[] = [];
  const chunk = 500;
  for (let start = 0; start < samples.length; start += chunk) {
    const slice = samples.slice(start, start + chunk);
    const byPartition = new Map<number, SampleRecord[]>();
    slice.forEach((sample, i) => {
      const partition = (start + i) % partitions;
      byPartition.set(partition, [...(byPartition.get(partition) ?? []), sample]);
    });
    const results = await producer.sendBatch({
      acks: -1,
      topicMessages: [
        {
          topic,
          messages: slice.map((sample, i) => ({
            key: sample.key,
            value: sample.value,
            partition: (start + i) % partitions,
            headers: { "sample-kind": sample.kind },
          })),
        },
      ],
    });
    for (const [partition, list] of byPartition) {
      const base = Number(results.find((r) => r.partition === partition)?.baseOffset);
      if (!Number.isInteger(base)) throw new Error(`no offset returned for ${topic}-${partition}`);
      for (const [i, sample] of list.entries()) produced.push({ sample, topic, partition, offset: base + i });
    }
  }
  return produced;
}
