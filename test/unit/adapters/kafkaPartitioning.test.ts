/**
 * Issue 9 item 1: kafkajs's own `sendMessages` (its retry loop, per-broker responses, partitioner
 * re-run) driven against brokers that answer differently: one succeeds, the other fails with a
 * retriable NOT_LEADER_FOR_PARTITION once. Every message the sink counts as acknowledged must
 * have reached a broker for the partition its receipt names.
 */
import { describe, expect, it } from "vitest";
import { PartitionChoices } from "../../../functions/lib/adapters/kafkaPartitioning";
import { FakeBroker, fakeCluster, kafkajsSend, writtenBy } from "../../doubles/fakeKafkaCluster";

/** Two brokers: node 1 leads partitions 0 and 1, node 2 leads 2 and 3 and fails its first request. */
async function sendThroughKafkajs(leaderMoves: boolean, keyed: boolean) {
  const answering = new FakeBroker(1);
  const electing = new FakeBroker(2, {
    failFirst: 1,
    // A leader election during a rolling patch: its partitions move to the broker that answered.
    onFailure: () => {
      if (leaderMoves) leaders = new Map([0, 1, 2, 3].map((p) => [p, answering]));
    },
  });
  let leaders = new Map([
    [0, answering],
    [1, answering],
    [2, electing],
    [3, electing],
  ]);
  const choices = new PartitionChoices();
  const messages = Array.from({ length: 10 }, (_, i) =>
    choices.toKafkaMessage({
      key: keyed ? Buffer.from(`k${i}`) : null,
      value: Buffer.from(`v${i}`),
      headers: [],
    }),
  );
  const send = kafkajsSend(
    fakeCluster("out", () => leaders),
    choices.partitioner()(),
  );
  const metadata = await send({ acks: -1, timeout: 1000, topicMessages: [{ topic: "out", messages }] });
  let receipts: { partition: number; offset: number }[] | undefined;
  let error: unknown;
  try {
    receipts = choices.receipts(messages, metadata);
  } catch (e) {
    error = e;
  }
  return { messages, written: writtenBy([answering, electing]), receipts, error };
}

describe.each([
  ["keyless", false],
  ["keyed", true],
])("a %s send retried by kafkajs across two brokers", (_label, keyed) => {
  it.each([
    ["one broker fails once", false],
    ["the failing broker's partitions move to the one that answered", true],
  ])("%s: nothing acknowledged was left unsent", async (_case, leaderMoves) => {
    const { messages, written, receipts, error } = await sendThroughKafkajs(leaderMoves, keyed);

    if (receipts === undefined) {
      // Refusing the whole send is safe: the processor retries it.
      expect(String(error)).toMatch(/no acknowledgement/);
      return;
    }
    messages.forEach((message, i) => {
      const receipt = receipts[i];
      const copies = written.filter((w) => w.message === message);
      expect(
        copies.map((c) => c.partition),
        `message ${i}`,
      ).toContain(receipt?.partition);
    });
  });
});

describe("header maps", () => {
  it.each(["constructor", "__proto__", "toString", "hasOwnProperty"])(
    "a header named %s keeps exactly its values (issue 9 item 11)",
    (name) => {
      const choices = new PartitionChoices();

      const message = choices.toKafkaMessage({
        key: null,
        value: null,
        headers: [
          { name, value: Buffer.from("a") },
          { name: "other", value: Buffer.from("b") },
          { name, value: Buffer.from("c") },
        ],
      });

      const headers = message.headers as Record<string, unknown>;
      expect(Object.keys(headers)).toEqual([name, "other"]);
      expect(headers[name]).toEqual([Buffer.from("a"), Buffer.from("c")]);
    },
  );
});
