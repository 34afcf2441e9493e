/** Reads a topic back and checks every acknowledged message against the receipt the sink gave it. */
import type { Kafka } from "kafkajs";
import { readTopic } from "../../emulator/reconcile/readTopic";
import type { DeliveryReceipt } from "../../functions/lib/core/ports";

export interface Acknowledged {
  readonly id: string;
  readonly receipt: DeliveryReceipt;
}

export interface ReceiptCheck {
  /** Receipts whose partition and offset hold another message, or nothing. */
  readonly wrongReceipts: readonly { id: string; receipt: string; holds: string }[];
  /** Acknowledged messages the topic does not hold anywhere: lost records. */
  readonly notInTopic: readonly Acknowledged[];
}

/** The messages are JSON values `{ "id": ... }`, one id per message. */
export async function checkReceipts(
  kafka: Kafka,
  topic: string,
  acknowledged: readonly Acknowledged[],
): Promise<ReceiptCheck> {
  const stored = new Map<string, string>();
  for (const record of await readTopic(kafka, topic, new Map(), 60_000)) {
    const { id } = JSON.parse(record.value?.toString() ?? "{}") as { id?: string };
    stored.set(`${record.partition}:${record.offset}`, id ?? "(no id)");
  }
  const storedIds = new Set(stored.values());
  const at = ({ receipt }: Acknowledged) => `${receipt.partition}:${receipt.offset}`;
  return {
    wrongReceipts: acknowledged
      .filter((a) => stored.get(at(a)) !== a.id)
      .map((a) => ({ id: a.id, receipt: at(a), holds: stored.get(at(a)) ?? "nothing" })),
    notInTopic: acknowledged.filter(({ id }) => !storedIds.has(id)),
  };
}
