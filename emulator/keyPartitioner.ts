/**
 * Partition choice as the Java client's default partitioner makes it for a keyed record
 * (`Utils.toPositive(Utils.murmur2(keyBytes)) % numPartitions`), so a key lands where a Java or
 * librdkafka (`murmur2_random`) producer would put it. Pure.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/**
 * Kafka's 32-bit murmur2 of `data`, as a signed int like Java's `Utils.murmur2`.
 *
 * @example
 * murmur2(Buffer.from("21")); // -973932308, as in Kafka's own UtilsTest
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const blocks = length - (length % 4);
  for (let i = 0; i < blocks; i += 4) {
    let k =
      (data[i] as number) |
      ((data[i + 1] as number) << 8) |
      ((data[i + 2] as number) << 16) |
      ((data[i + 3] as number) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const rest = length % 4;
  if (rest === 3) h ^= (data[blocks + 2] as number) << 16;
  if (rest >= 2) h ^= (data[blocks + 1] as number) << 8;
  if (rest >= 1) {
    h ^= data[blocks] as number;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition of a keyed record among `partitionCount`, as the Java client chooses it. */
export function partitionForKey(key: Uint8Array, partitionCount: number): number {
  return (murmur2(key) & 0x7fffffff) % partitionCount;
}
