import type { KafkaMessage } from "kafkajs";
import { toPolledRecord } from "../../../emulator/eventBuilder";
import type { PolledRecord } from "../../../emulator/types";

/** A fetched message as kafkajs hands it over. */
export function message(
  offset: number,
  value: string | Buffer | null,
  extra: Partial<KafkaMessage> = {},
): KafkaMessage {
  return {
    key: Buffer.from(`k-${offset}`),
    value: typeof value === "string" ? Buffer.from(value) : value,
    timestamp: String(1_763_800_000_000 + offset),
    attributes: 0,
    offset: String(offset),
    headers: {},
    ...extra,
  } as KafkaMessage;
}

/** Polled records of one partition at the given offsets. */
export function polled(topic: string, partition: number, offsets: readonly number[]): PolledRecord[] {
  return offsets.map((offset) => toPolledRecord(topic, partition, message(offset, `{"n":${offset}}`)));
}
