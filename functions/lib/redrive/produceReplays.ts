import { describeCause, isRetriable } from "../core/errors";
import type { DeliveryReceipt, MessageSink } from "../core/ports";
import type { OutgoingMessage } from "../core/types";
import type { ReplayCandidate } from "./types";

/** A replay ready to produce: the letter, where it goes, the message and the count it carries. */
export interface ReadyReplay {
  readonly candidate: ReplayCandidate;
  readonly topic: string;
  readonly message: OutgoingMessage;
  readonly redriveCount: number;
}

export interface ProducedReplay {
  readonly item: ReadyReplay;
  readonly receipt: DeliveryReceipt;
}

export interface ProduceReplaysOptions {
  readonly sink: MessageSink;
  readonly topicExists: (topic: string) => Promise<boolean>;
  /** A replay that cannot go, and why; the others of its batch still go. */
  readonly fail: (item: ReadyReplay, detail: string) => void;
}

/**
 * Produces per destination topic in one request each. A record the broker refuses for good (too
 * large, invalid) fails alone after a one-by-one retry of its batch; anything retriable (broker
 * down, timeouts) is thrown and stops the run, whose checkpoint then says where to resume.
 */
export async function produceReplays(
  ready: readonly ReadyReplay[],
  options: ProduceReplaysOptions,
): Promise<ProducedReplay[]> {
  const { sink } = options;
  const produced: ProducedReplay[] = [];
  const byTopic = new Map<string, ReadyReplay[]>();
  for (const item of ready) byTopic.set(item.topic, [...(byTopic.get(item.topic) ?? []), item]);
  for (const [topic, items] of byTopic) {
    if (!(await options.topicExists(topic))) {
      for (const item of items) options.fail(item, `topic "${topic}" does not exist`);
      continue;
    }
    try {
      const receipts = await sink.send(
        topic,
        items.map((i) => i.message),
      );
      for (const [i, item] of items.entries()) {
        produced.push({ item, receipt: receipts[i] ?? { partition: -1, offset: -1 } });
      }
    } catch (error) {
      if (isRetriable(error)) throw error;
      for (const item of items) {
        try {
          const [receipt] = await sink.send(topic, [item.message]);
          produced.push({ item, receipt: receipt ?? { partition: -1, offset: -1 } });
        } catch (single) {
          if (isRetriable(single)) throw single;
          options.fail(item, describeCause(single));
        }
      }
    }
  }
  return produced;
}
