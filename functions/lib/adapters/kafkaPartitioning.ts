import {
  type ICustomPartitioner,
  type IHeaders,
  type Message,
  Partitioners,
  type RecordMetadata,
} from "kafkajs";
import { TransientError } from "../core/errors";
import type { DeliveryReceipt } from "../core/ports";
import type { OutgoingMessage } from "../core/types";

/**
 * Where a message's choices live: on the kafkajs message object itself, which the sink creates per
 * send, under keys no other code uses. They were WeakMaps keyed by message: a lookup and an entry
 * per message, and ephemeron tables for the collector to trace. On a batch of 5,000 records of 85
 * bytes the handler took 131-134 ms of CPU with them, 123-129 without (three alternating pairs).
 * kafkajs copies a message's own properties, these too, into its record encoder's input, which
 * reads only the fields it knows.
 */
const PREFERRED = Symbol("preferredPartition");
const CHOSEN = Symbol("chosenPartition");

type ChoiceMessage = Message & { [PREFERRED]?: number | undefined; [CHOSEN]?: number | undefined };

/**
 * Partition choices of the messages of one send, made once and kept across kafkajs's internal
 * retries.
 *
 * kafkajs's `sendMessages` keeps the responses per broker across its retries, re-runs the
 * partitioner over every message before each retry and re-sends only to brokers that have not
 * answered. A keyless message under a round-robin partitioner could then move to a partition whose
 * broker had already answered: never sent, yet acknowledged by that partition's receipt. So the
 * first choice for a message object is final, and a receipt is only taken for that partition.
 */
export class PartitionChoices {
  /** A kafkajs message for an outgoing one; header maps have no prototype, so any name is a name. */
  toKafkaMessage(message: OutgoingMessage): Message {
    const headers: IHeaders = Object.create(null);
    for (const { name, value } of message.headers) {
      const existing = headers[name];
      if (existing === undefined) headers[name] = value;
      else headers[name] = Array.isArray(existing) ? [...existing, value] : [existing as Buffer, value];
    }
    const kafkaMessage: ChoiceMessage = {
      key: message.key,
      value: message.value,
      headers,
      [PREFERRED]: message.preferredPartition,
      [CHOSEN]: undefined,
    };
    if (message.timestamp !== undefined) kafkaMessage.timestamp = String(message.timestamp);
    return kafkaMessage;
  }

  /**
   * The producer's partitioner: the preferred partition when the topic has it (a dead letter stays
   * on its source partition), otherwise the Java client's murmur2 of the key, or round robin over
   * available partitions for keyless messages; in every case decided on the first call only.
   */
  partitioner(): ICustomPartitioner {
    return () => {
      const byKey = Partitioners.DefaultPartitioner();
      return (args) => {
        const message = args.message as ChoiceMessage;
        const decided = message[CHOSEN];
        if (decided !== undefined) return decided;
        const wanted = message[PREFERRED];
        const partition =
          wanted !== undefined && wanted < args.partitionMetadata.length ? wanted : byKey(args);
        message[CHOSEN] = partition;
        return partition;
      };
    };
  }

  /**
   * One receipt per message, in order: kafkajs keeps the given order within a partition, so the
   * n-th message there has base offset + n.
   *
   * A message without an acknowledgement for the partition it was sent to fails the send
   * (retried, never lost): kafkajs silently skips partitions missing from its metadata (seen on
   * KRaft right after a topic is created), and after a leader moved to a broker that had already
   * answered it does not send that partition's messages again.
   */
  receipts(messages: readonly Message[], metadata: readonly RecordMetadata[]): DeliveryReceipt[] {
    const next = new Map<number, number>();
    for (const m of metadata) {
      if (m.baseOffset === undefined || Number(m.errorCode ?? 0) !== 0) continue;
      next.set(m.partition, Number(m.baseOffset));
    }
    return messages.map((message) => {
      const partition = (message as ChoiceMessage)[CHOSEN];
      const offset = partition === undefined ? undefined : next.get(partition);
      if (partition === undefined || offset === undefined) {
        throw new TransientError(
          `no acknowledgement for partition ${partition ?? "(none chosen)"}: the broker did not confirm it`,
        );
      }
      next.set(partition, offset + 1);
      return { partition, offset };
    });
  }
}
