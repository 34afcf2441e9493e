import { Partitioners, type PartitionMetadata } from "kafkajs";

/**
 * Partition choice as the Java client's default partitioner makes it for a keyed record
 * (`toPositive(murmur2(keyBytes)) % numPartitions`), so a key lands where a Java or librdkafka
 * (`murmur2_random`) producer would put it. kafkajs's DefaultPartitioner is that port; it is
 * called once per message, before the send, so kafkajs's retries cannot change the choice.
 */
const byKey = Partitioners.DefaultPartitioner();

export function partitionForKey(key: Uint8Array | string, partitions: number): number {
  const partitionMetadata: PartitionMetadata[] = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
    partitionErrorCode: 0,
  }));
  return byKey({ topic: "", partitionMetadata, message: { key: Buffer.from(key), value: null } });
}
