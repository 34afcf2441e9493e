import { createHash } from "node:crypto";

/**
 * What tells one Kafka record from every other record a deployment will ever see.
 *
 * Source coordinates (`topic:partition:offset`) alone are not enough: a re-created topic, a move to
 * another cluster with the tables kept, or two mappings on different clusters reuse them. So a
 * record's id also carries a tag derived from its cluster and its Kafka timestamp; a record that
 * merely shares coordinates with an older one gets another id, and never inherits the older
 * one's "already produced" mark, attempt count or dead-letter status.
 */
export interface RecordCoordinates {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
}

/**
 * The cluster a batch came from: the MSK cluster ARN, or for self-managed Kafka the bootstrap
 * servers, lower-cased and sorted so that the same brokers listed in another order are one cluster.
 */
export function clusterIdentity(
  eventSourceArn: string | undefined,
  bootstrapServers: string | undefined,
): string {
  if (eventSourceArn !== undefined && eventSourceArn !== "") return eventSourceArn;
  const servers = (bootstrapServers ?? "")
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== "")
    .sort();
  return servers.length === 0 ? "unknown-cluster" : servers.join(",");
}

/** 10 hex digits of SHA-256: collisions only matter between records with equal coordinates. */
export function recordTag(cluster: string, timestamp: number): string {
  return createHash("sha256").update(`${cluster}\n${timestamp}`).digest("hex").slice(0, 10);
}

/**
 * `<topic>:<partition>:<offset>@<tag>`: what the index, the attempt ledger and the idempotency
 * store key a record by. Kafka topic names cannot contain `:` or `@`, so the id parses back.
 *
 * @example
 * recordId("arn:aws:kafka:...", { topic: "orders", partition: 0, offset: 42, timestamp: 1700000000000 })
 * // "orders:0:42@5d41402abc"
 */
export function recordId(cluster: string, record: RecordCoordinates): string {
  return `${record.topic}:${record.partition}:${record.offset}@${recordTag(cluster, record.timestamp)}`;
}

export interface ParsedRecordId {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Absent for ids written before ids carried a tag (`<topic>:<partition>:<offset>`). */
  readonly tag: string | undefined;
}

const RECORD_ID = /^([A-Za-z0-9._-]+):(\d+):(\d+)(?:@([0-9a-f]{10}))?$/;

/** Parses a record id, tagged or of the older untagged form; undefined when it is neither. */
export function parseRecordId(id: string): ParsedRecordId | undefined {
  const match = RECORD_ID.exec(id);
  if (match === null) return undefined;
  const partition = Number(match[2]);
  const offset = Number(match[3]);
  if (!Number.isSafeInteger(partition) || !Number.isSafeInteger(offset)) return undefined;
  return { topic: match[1] as string, partition, offset, tag: match[4] };
}
