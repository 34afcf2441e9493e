/**
 * A fetched record on its way through the mapping, and how the emulator names groups of them in
 * its log lines.
 */
import { partitionId } from "./eventBuilder";
import type { PolledRecord } from "./types";

/** A fetched record and how many failed invocations it took part in. */
export interface Pending {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly record: PolledRecord;
  failedAttempts: number;
}

export function pendingOf(record: PolledRecord): Pending {
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    record,
    failedAttempts: 0,
  };
}

/** The `<topic>-<partition>` ids of `records`, each once. */
export function partitionsOf(records: readonly Pending[]): string[] {
  return [...new Set(records.map((p) => partitionId(p)))];
}

/** `orders-0@3..7 orders-1@12`: the offset range of each partition, for log lines. */
export function describePartitions(records: readonly Pending[]): string {
  const ranges = new Map<string, { first: number; last: number }>();
  for (const p of records) {
    const id = partitionId(p);
    const range = ranges.get(id);
    if (range === undefined) ranges.set(id, { first: p.offset, last: p.offset });
    else ranges.set(id, { first: Math.min(range.first, p.offset), last: Math.max(range.last, p.offset) });
  }
  return [...ranges]
    .map(([id, r]) => (r.first === r.last ? `${id}@${r.first}` : `${id}@${r.first}..${r.last}`))
    .join(" ");
}
