import { type Message, Partitioners, type Producer } from "kafkajs";
import type { ChaosRecord } from "./chaosRecords";

/** A source record as the source topic holds it, and the chaos record it was made from. */
export interface ProducedChaosRecord {
  readonly record: ChaosRecord;
  readonly partition: number;
  readonly offset: number;
}

/** Names the chaos record a source record was made from, so the run reads its truth back. */
export const CHAOS_INDEX_HEADER = "chaos-index";

/**
 * Produces the run's records at a steady pace over `windowMs`, so faults meet records in flight,
 * each to the partition its key hashes to (keyless ones round-robin): one key, one partition, so
 * ordering per key can be checked. Large records go one per request (a request is one record batch
 * per partition, which the broker caps at `max.message.bytes`).
 */
export async function produceChaosRecords(
  producer: Producer,
  topic: string,
  records: readonly ChaosRecord[],
  options: { partitions: number; windowMs: number; signal?: AbortSignal },
): Promise<void> {
  const partitionMetadata = Array.from({ length: options.partitions }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
    partitionErrorCode: 0,
  }));
  const choose = Partitioners.DefaultPartitioner();
  const partitionOf = (record: ChaosRecord) =>
    record.key === null
      ? record.index % options.partitions
      : choose({ topic, partitionMetadata, message: { key: record.key, value: null } });

  const chunks: ChaosRecord[][] = [];
  let current: ChaosRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = record.value?.length ?? 0;
    if (current.length > 0 && (current.length >= 100 || bytes + size > 500_000)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);

  const pause = chunks.length > 1 ? options.windowMs / chunks.length : 0;
  for (const chunk of chunks) {
    if (options.signal?.aborted) break;
    const byPartition = new Map<number, ChaosRecord[]>();
    for (const record of chunk) {
      const partition = partitionOf(record);
      byPartition.set(partition, [...(byPartition.get(partition) ?? []), record]);
    }
    await Promise.all(
      [...byPartition].map(([partition, group]) => sendUntilAcknowledged(producer, topic, partition, group)),
    );
    if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/**
 * One partition per request, sent again until that partition acknowledges it: kafkajs can report a
 * send as done without the partition's acknowledgement when its leader moved to a broker that had
 * already answered (issue 9 item 1). A retry may write records twice; the run reads the source topic
 * back afterwards, so every copy is a record to account for.
 */
async function sendUntilAcknowledged(
  producer: Producer,
  topic: string,
  partition: number,
  records: readonly ChaosRecord[],
) {
  const messages: Message[] = records.map((record) => ({
    key: record.key,
    value: record.value,
    partition,
    headers: {
      ...Object.fromEntries(groupHeaders(record.headers)),
      [CHAOS_INDEX_HEADER]: String(record.index),
    },
  }));
  for (let attempt = 1; ; attempt += 1) {
    try {
      const metadata = await producer.send({ topic, acks: -1, messages });
      if (metadata.some((m) => m.partition === partition && Number(m.errorCode ?? 0) === 0)) return;
    } catch (error) {
      if (attempt >= 30) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * attempt)));
  }
}

function groupHeaders(headers: ChaosRecord["headers"]): [string, Buffer[]][] {
  const grouped = new Map<string, Buffer[]>();
  for (const { name, value } of headers) grouped.set(name, [...(grouped.get(name) ?? []), value]);
  return [...grouped];
}
