import { DEAD_LETTER_HEADER_PREFIX, REDRIVE_HEADERS } from "../core/headers";
import type { OutgoingMessage, RecordHeader } from "../core/types";
import type { ReplayRecord } from "./types";

const REDRIVE_HEADER_NAMES: readonly string[] = Object.values(REDRIVE_HEADERS);

export interface ReplayProvenance {
  readonly deadLetterId: string;
  /** The count this replay carries: the record's previous count plus one. */
  readonly redriveCount: number;
  readonly redrivenAt: Date;
  /** The source partition, when replaying to the source topic, so per-partition order holds. */
  readonly preferredPartition?: number;
}

/**
 * The message a redrive produces: the original key, value and headers byte for byte, without the
 * dead-letter and redrive headers of earlier rounds, plus this round's redrive headers.
 *
 * No timestamp is set: the broker stamps the replay with the current time, because a replay that
 * kept the original timestamp could be dropped at once by the mapping's maximum record age.
 */
export function buildReplayMessage(record: ReplayRecord, provenance: ReplayProvenance): OutgoingMessage {
  const kept: RecordHeader[] = record.headers
    .filter((h) => !h.name.startsWith(DEAD_LETTER_HEADER_PREFIX) && !REDRIVE_HEADER_NAMES.includes(h.name))
    .map((h) => ({ name: h.name, value: Buffer.from(h.value, "base64") }));
  const added: RecordHeader[] = [
    { name: REDRIVE_HEADERS.count, value: Buffer.from(String(provenance.redriveCount)) },
    { name: REDRIVE_HEADERS.deadLetterId, value: Buffer.from(provenance.deadLetterId) },
    { name: REDRIVE_HEADERS.redrivenAt, value: Buffer.from(provenance.redrivenAt.toISOString()) },
  ];
  return {
    key: record.key === null ? null : Buffer.from(record.key, "base64"),
    value: record.value === null ? null : Buffer.from(record.value, "base64"),
    headers: [...kept, ...added],
    ...(provenance.preferredPartition === undefined
      ? {}
      : { preferredPartition: provenance.preferredPartition }),
  };
}

/** The redrive count a record's own headers carry (0 when it was never redriven). */
export function redriveCountInHeaders(record: ReplayRecord): number {
  const header = record.headers.find((h) => h.name === REDRIVE_HEADERS.count);
  if (header === undefined) return 0;
  const count = Number.parseInt(Buffer.from(header.value, "base64").toString("utf8"), 10);
  return Number.isSafeInteger(count) && count > 0 ? count : 0;
}
