/**
 * Issue 9 item 1: kafkajs's own `sendMessages` (its retry loop, per-broker responses, partitioner
 * re-run) driven against brokers that answer differently: one succeeds, the other fails with a
 * retriable NOT_LEADER_FOR_PARTITION once. Every message the sink counts as acknowledged must
 * have reached a broker for the partition its receipt names.
 */
import { createRequire } from "node:module";
import type { Message, RecordMetadata } from "kafkajs";
import { describe, expect, it } from "vitest";
import { PartitionChoices } from "../../../functions/lib/adapters/kafkaPartitioning";

const require = createRequire(import.meta.url);
const createSendMessages = require("kafkajs/src/producer/sendMessages") as (
  deps: unknown,
) => (args: unknown) => Promise<RecordMetadata[]>;
const createRetry = require("kafkajs/src/retry") as (options: unknown) => unknown;
const { KafkaJSProtocolError } = require("kafkajs/src/errors") as {
  KafkaJSProtocolError: new (e: unknown) => Error;
};
const { createErrorFromCode } = require("kafkajs/src/protocol/error") as {
  createErrorFromCode: (code: number) => unknown;
};

const NOT_LEADER = 6;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

interface Written {
  readonly partition: number;
  readonly message: Message;
}

/** Two brokers: node 1 leads partitions 0 and 1, node 2 leads 2 and 3; node 2 fails `failures` times. */
function cluster(failures: number, leaderMoves = false) {
  const written: Written[] = [];
  const offsets = new Map<number, number>();
  let leaders: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2 };
  let remainingFailures = failures;
  const broker = (nodeId: number) => ({
    nodeId,
    async produce({
      topicData,
    }: {
      topicData: { topic: string; partitions: { partition: number; messages: Message[] }[] }[];
    }) {
      if (nodeId === 2 && remainingFailures > 0) {
        remainingFailures -= 1;
        // A leader election during a rolling patch: the partitions move to broker 1.
        if (leaderMoves) leaders = { 0: 1, 1: 1, 2: 1, 3: 1 };
        throw new KafkaJSProtocolError(createErrorFromCode(NOT_LEADER));
      }
      return {
        topics: topicData.map(({ topic, partitions }) => ({
          topicName: topic,
          partitions: partitions.map(({ partition, messages }) => {
            const base = offsets.get(partition) ?? 0;
            offsets.set(partition, base + messages.length);
            for (const message of messages) written.push({ partition, message });
            return {
              partition,
              errorCode: 0,
              baseOffset: String(base),
              logAppendTime: "-1",
              logStartOffset: "0",
            };
          }),
        })),
      };
    },
  });
  const brokers = new Map([1, 2].map((id) => [id, broker(id)]));
  const fake = {
    async refreshMetadataIfNecessary() {},
    async refreshMetadata() {},
    async addMultipleTargetTopics() {},
    isConnected: () => true,
    removeBroker() {},
    targetTopics: new Set(["out"]),
    findTopicPartitionMetadata: () =>
      [0, 1, 2, 3].map((partitionId) => ({ partitionId, leader: leaders[partitionId] as number })),
    findLeaderForPartitions: (_topic: string, partitions: string[]) => {
      const byLeader: Record<string, number[]> = {};
      for (const p of partitions) {
        const leader = String(leaders[Number(p)]);
        byLeader[leader] = [...(byLeader[leader] ?? []), Number(p)];
      }
      return byLeader;
    },
    findBroker: async ({ nodeId }: { nodeId: string }) => brokers.get(Number(nodeId)),
  };
  const eosManager = {
    acquireBrokerLock: async () => undefined,
    releaseBrokerLock: async () => undefined,
    isTransactional: () => false,
    getSequence: () => 0,
    updateSequence: () => undefined,
    getProducerId: () => -1,
    getProducerEpoch: () => 0,
  };
  return { written, fake, eosManager };
}

async function sendThroughKafkajs(failures: number, leaderMoves: boolean, keyed: boolean) {
  const { written, fake, eosManager } = cluster(failures, leaderMoves);
  const choices = new PartitionChoices();
  const messages = Array.from({ length: 10 }, (_, i) =>
    choices.toKafkaMessage({
      key: keyed ? Buffer.from(`k${i}`) : null,
      value: Buffer.from(`v${i}`),
      headers: [],
    }),
  );
  const send = createSendMessages({
    logger: silent,
    cluster: fake,
    partitioner: choices.partitioner()(),
    eosManager,
    retrier: createRetry({ retries: 3, initialRetryTime: 1, maxRetryTime: 5 }),
  });
  const metadata = await send({ acks: -1, timeout: 1000, topicMessages: [{ topic: "out", messages }] });
  let receipts: { partition: number; offset: number }[] | undefined;
  let error: unknown;
  try {
    receipts = choices.receipts(messages, metadata);
  } catch (e) {
    error = e;
  }
  return { messages, written, receipts, error };
}

describe.each([
  ["keyless", false],
  ["keyed", true],
])("a %s send retried by kafkajs across two brokers", (_label, keyed) => {
  it.each([
    ["one broker fails once", false],
    ["the failing broker's partitions move to the one that answered", true],
  ])("%s: nothing acknowledged was left unsent", async (_case, leaderMoves) => {
    const { messages, written, receipts, error } = await sendThroughKafkajs(1, leaderMoves, keyed);

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
