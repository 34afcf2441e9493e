import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import type { Kafka } from "kafkajs";
import { DEAD_LETTER_HEADERS, LINEAGE_HEADERS } from "../../functions/lib/core/headers";
import type { KafkaEvent } from "../../functions/lib/core/types";
import { readTopic, type StartOffsets } from "./readTopic";

export const PLACES = {
  target: "target",
  deadLetter: "dead-letter",
  onFailure: "on-failure",
} as const;
export type Place = (typeof PLACES)[keyof typeof PLACES];

/** Where one source record ended up, found by reading the sink back. */
export interface Placement {
  /** `<topic>:<partition>:<offset>` of the source record. */
  readonly source: string;
  readonly place: Place;
  /** The topic, or the S3 object key. */
  readonly location: string;
  /** Dead letters: the pipeline stage that rejected the record. */
  readonly stage?: string;
  /** Dead letters: the S3 archive object of the envelope. */
  readonly archiveKey?: string;
}

export interface TopicSlice {
  readonly topic: string;
  /** Offsets to read from, per partition (the topic's end before the run). */
  readonly from?: StartOffsets;
}

export interface SinksToSearch {
  readonly targets: readonly TopicSlice[];
  readonly deadLetters: readonly TopicSlice[];
  readonly onFailure?:
    | { readonly type: "s3"; readonly client: S3Client; readonly bucket: string; readonly prefix: string }
    | ({ readonly type: "kafka" } & TopicSlice);
}

export function sourceId(topic: string, partition: number | string, offset: number | string): string {
  return `${topic}:${partition}:${offset}`;
}

/**
 * Reads every sink back and says which source record each output came from: target records by the
 * pipeline's lineage headers, dead letters by their `x-dlq-original-*` headers, on-failure batches by
 * the invocation payload they carry.
 */
export async function locateRecords(kafka: Kafka, sinks: SinksToSearch): Promise<Placement[]> {
  const placements: Placement[] = [];
  for (const slice of sinks.targets) {
    for (const record of await readTopic(kafka, slice.topic, slice.from)) {
      const h = record.headers;
      const topic = h[LINEAGE_HEADERS.sourceTopic];
      if (topic === undefined) continue;
      placements.push({
        source: sourceId(
          topic,
          h[LINEAGE_HEADERS.sourcePartition] ?? "?",
          h[LINEAGE_HEADERS.sourceOffset] ?? "?",
        ),
        place: PLACES.target,
        location: slice.topic,
      });
    }
  }
  for (const slice of sinks.deadLetters) {
    for (const record of await readTopic(kafka, slice.topic, slice.from)) {
      const h = record.headers;
      const topic = h[DEAD_LETTER_HEADERS.originalTopic];
      if (topic === undefined) continue;
      placements.push({
        source: sourceId(
          topic,
          h[DEAD_LETTER_HEADERS.originalPartition] ?? "?",
          h[DEAD_LETTER_HEADERS.originalOffset] ?? "?",
        ),
        place: PLACES.deadLetter,
        location: slice.topic,
        ...(h[DEAD_LETTER_HEADERS.stage] === undefined ? {} : { stage: h[DEAD_LETTER_HEADERS.stage] }),
        ...(h[DEAD_LETTER_HEADERS.archiveKey] === undefined
          ? {}
          : { archiveKey: h[DEAD_LETTER_HEADERS.archiveKey] }),
      });
    }
  }
  const onFailure = sinks.onFailure;
  if (onFailure?.type === "kafka") {
    for (const record of await readTopic(kafka, onFailure.topic, onFailure.from)) {
      const document = JSON.parse(record.value?.toString() ?? "{}") as { payload?: string };
      for (const source of sourcesOf(document.payload)) {
        placements.push({ source, place: PLACES.onFailure, location: `kafka://${onFailure.topic}` });
      }
    }
  } else if (onFailure?.type === "s3") {
    for (const key of await listKeys(onFailure.client, onFailure.bucket, onFailure.prefix)) {
      const object = await onFailure.client.send(
        new GetObjectCommand({ Bucket: onFailure.bucket, Key: key }),
      );
      const document = JSON.parse((await object.Body?.transformToString()) ?? "{}") as { payload?: string };
      for (const source of sourcesOf(document.payload)) {
        placements.push({ source, place: PLACES.onFailure, location: `s3://${onFailure.bucket}/${key}` });
      }
    }
  }
  return placements;
}

function sourcesOf(payload: string | undefined): string[] {
  if (payload === undefined) return [];
  const event = JSON.parse(payload) as KafkaEvent;
  return Object.values(event.records)
    .flat()
    .map((r) => sourceId(r.topic, r.partition, r.offset));
}

async function listKeys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token === undefined ? {} : { ContinuationToken: token }),
      }),
    );
    for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys;
}
