import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { DEAD_LETTER_TABLE } from "../tables";

/**
 * The dead-letter index's item layout, shared by the processor's index (`DynamoDeadLetterIndex.ts`)
 * and the `dlq` tool, so both sides read and write the same attributes.
 */

export const DEAD_LETTER_STATUSES = {
  new: "new",
  redriven: "redriven",
  discarded: "discarded",
} as const;
export type DeadLetterStatus = (typeof DEAD_LETTER_STATUSES)[keyof typeof DEAD_LETTER_STATUSES];

/** A dead letter as the index holds it: the envelope's facts, where to find it, and its status. */
export interface IndexedDeadLetter {
  readonly id: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly stage: string;
  readonly errorClass: string;
  readonly errorMessage: string;
  readonly failedAt: string;
  readonly day: string;
  readonly attempts: number;
  readonly archiveBucket: string;
  readonly archiveKey: string;
  readonly archiveLine: number;
  readonly dlqTopic: string;
  readonly dlqPartition: number | undefined;
  readonly dlqOffset: number | undefined;
  readonly status: DeadLetterStatus;
  readonly redriveCount: number;
  readonly functionName: string;
  readonly requestId: string;
  /** The cluster the record came from; absent on items written before envelopes named it. */
  readonly cluster: string | undefined;
  /** Why the DLQ topic holds no copy (it refused the record for good); the archive has the only one. */
  readonly dlqAbsentReason?: string | undefined;
  /**
   * The value's schema: the one it failed to decode with, else what the mapping's schema registry
   * said (`valueSchemaMetadata`); absent for plain JSON records.
   */
  readonly valueSchemaId?: string | undefined;
  readonly valueDataFormat?: string | undefined;
}

const S = (value: string): AttributeValue => ({ S: value });
const N = (value: number): AttributeValue => ({ N: String(value) });

export function deadLetterKey(id: string): Record<string, AttributeValue> {
  return { [DEAD_LETTER_TABLE.partitionKey]: S(`DL#${id}`), [DEAD_LETTER_TABLE.sortKey]: S("DL") };
}

/** The item layout, shared with the `dlq` tool so both sides read and write the same attributes. */
export function deadLetterItem(
  letter: IndexedDeadLetter,
  expiresAt: number | undefined,
): Record<string, AttributeValue> {
  const sortKey = `${letter.failedAt}#${letter.id}`;
  const item: Record<string, AttributeValue> = {
    ...deadLetterKey(letter.id),
    [DEAD_LETTER_TABLE.byTopicIndex.partitionKey]: S(letter.topic),
    [DEAD_LETTER_TABLE.byTopicIndex.sortKey]: S(sortKey),
    [DEAD_LETTER_TABLE.byStatusIndex.partitionKey]: S(letter.status),
    [DEAD_LETTER_TABLE.byStatusIndex.sortKey]: S(sortKey),
    id: S(letter.id),
    topic: S(letter.topic),
    partition: N(letter.partition),
    offset: N(letter.offset),
    timestamp: N(letter.timestamp),
    stage: S(letter.stage),
    errorClass: S(letter.errorClass),
    errorMessage: S(letter.errorMessage || "-"),
    failedAt: S(letter.failedAt),
    day: S(letter.day),
    attempts: N(letter.attempts),
    archiveBucket: S(letter.archiveBucket),
    archiveKey: S(letter.archiveKey),
    archiveLine: N(letter.archiveLine),
    dlqTopic: S(letter.dlqTopic),
    status: S(letter.status),
    redriveCount: N(letter.redriveCount),
    functionName: S(letter.functionName),
    requestId: S(letter.requestId),
  };
  if (letter.cluster !== undefined) item.cluster = S(letter.cluster);
  if (letter.dlqAbsentReason !== undefined) item.dlqAbsentReason = S(letter.dlqAbsentReason);
  if (letter.dlqPartition !== undefined) item.dlqPartition = N(letter.dlqPartition);
  if (letter.dlqOffset !== undefined) item.dlqOffset = N(letter.dlqOffset);
  if (letter.valueSchemaId !== undefined) item.valueSchemaId = S(letter.valueSchemaId);
  if (letter.valueDataFormat !== undefined) item.valueDataFormat = S(letter.valueDataFormat);
  if (expiresAt !== undefined) item[DEAD_LETTER_TABLE.ttlAttribute] = N(expiresAt);
  return item;
}

export function parseDeadLetterItem(item: Record<string, AttributeValue>): IndexedDeadLetter {
  const s = (name: string) => item[name]?.S ?? "";
  const n = (name: string) => Number(item[name]?.N ?? "0");
  const optional = (name: string) => (item[name]?.N === undefined ? undefined : Number(item[name]?.N));
  return {
    id: s("id"),
    topic: s("topic"),
    partition: n("partition"),
    offset: n("offset"),
    timestamp: n("timestamp"),
    stage: s("stage"),
    errorClass: s("errorClass"),
    errorMessage: s("errorMessage"),
    failedAt: s("failedAt"),
    day: s("day"),
    attempts: n("attempts"),
    archiveBucket: s("archiveBucket"),
    archiveKey: s("archiveKey"),
    archiveLine: n("archiveLine"),
    dlqTopic: s("dlqTopic"),
    dlqPartition: optional("dlqPartition"),
    dlqOffset: optional("dlqOffset"),
    status: s("status") as DeadLetterStatus,
    redriveCount: n("redriveCount"),
    functionName: s("functionName"),
    requestId: s("requestId"),
    cluster: item.cluster?.S,
    dlqAbsentReason: item.dlqAbsentReason?.S,
    valueSchemaId: item.valueSchemaId?.S,
    valueDataFormat: item.valueDataFormat?.S,
  };
}
