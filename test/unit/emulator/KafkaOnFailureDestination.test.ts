import { createRequire } from "node:module";
import type { Message, Producer, ProducerRecord, RecordMetadata } from "kafkajs";
import { describe, expect, it } from "vitest";
import { toPolledRecord } from "../../../emulator/eventBuilder";
import { KafkaOnFailureDestination } from "../../../emulator/KafkaOnFailureDestination";
import { partitionForKey } from "../../../emulator/keyPartitioner";
import type { FailedBatch } from "../../../emulator/types";
import { message } from "./records";

const PARTITIONS = 3;
const context = {
  envelope: {
    eventSource: "SelfManagedKafka" as const,
    eventSourceArn: undefined,
    bootstrapServers: "b:9092",
  },
  functionArn: "arn:aws:lambda:us-east-1:000000000000:function:f",
};

/** Two keyed records and three keyless ones (key null), as a failed batch. */
function failedBatch(): FailedBatch {
  const keys = [Buffer.from("order-1"), null, Buffer.from("order-2"), null, null];
  return {
    records: keys.map((key, i) => toPolledRecord("orders", 0, message(i, `{"n":${i}}`, { key }))),
    condition: "RetryAttemptsExhausted",
    requestId: "req-1",
    invokeCount: 2,
    functionError: "Unhandled",
    failedAt: new Date("2026-11-22T10:11:12.345Z"),
  };
}

/**
 * A producer that records what it is asked to send and answers with the RecordMetadata the test
 * decides, like kafkajs's `send` (one entry per partition that a broker acknowledged).
 */
function fakeProducer(answer: (messages: readonly Message[]) => RecordMetadata[]) {
  const sent: Message[][] = [];
  const producer = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    send: async (record: ProducerRecord) => {
      sent.push(record.messages);
      return answer(record.messages);
    },
  } as unknown as Producer;
  return { producer, sent };
}

function acknowledged(partitions: Iterable<number>): RecordMetadata[] {
  return [...partitions].map((partition) => ({
    topicName: "orders.failed",
    partition,
    errorCode: 0,
    baseOffset: "0",
  }));
}

function destination(producer: Producer) {
  return new KafkaOnFailureDestination({
    producer,
    topic: "orders.failed",
    context,
    partitionCount: async () => PARTITIONS,
  });
}

describe("KafkaOnFailureDestination", () => {
  it("chooses every message's partition before sending: the key's murmur2 partition, or round-robin without a key", async () => {
    const { producer, sent } = fakeProducer((messages) =>
      acknowledged(new Set(messages.map((m) => m.partition as number))),
    );

    await destination(producer).deliver(failedBatch());

    const partitions = sent[0]?.map((m) => m.partition);
    expect(partitions).toEqual([
      partitionForKey(Buffer.from("order-1"), PARTITIONS),
      0,
      partitionForKey(Buffer.from("order-2"), PARTITIONS),
      1,
      2,
    ]);
  });

  it("keeps round-robin going across deliveries, so keyless records spread over partitions", async () => {
    const { producer, sent } = fakeProducer((messages) =>
      acknowledged(new Set(messages.map((m) => m.partition as number))),
    );
    const target = destination(producer);

    await target.deliver(failedBatch());
    await target.deliver(failedBatch());

    expect(sent[1]?.filter((m) => m.key === null).map((m) => m.partition)).toEqual([0, 1, 2]);
  });

  it("fails the delivery when a partition it sent to has no acknowledgement", async () => {
    // What kafkajs returns after an internal retry re-partitioned messages to a broker that had
    // already answered: metadata for the partitions it did send, none for the message that moved.
    const { producer } = fakeProducer((messages) => {
      const partitions = new Set(messages.map((m) => m.partition as number));
      return acknowledged([...partitions].slice(1));
    });

    await expect(destination(producer).deliver(failedBatch())).rejects.toThrow(/acknowledg/);
  });

  it("fails the delivery when a partition answered with an error code", async () => {
    const { producer } = fakeProducer((messages) =>
      acknowledged(new Set(messages.map((m) => m.partition as number))).map((r, i) =>
        i === 0 ? { ...r, errorCode: 6 } : r,
      ),
    );

    await expect(destination(producer).deliver(failedBatch())).rejects.toThrow(/acknowledg/);
  });
});

/**
 * kafkajs's own send path (`producer/sendMessages`, its default partitioner and its retrier) against
 * two fake brokers: broker 1 leads partitions 0 and 2 and answers at once; broker 2 leads partition 1
 * and first answers NOT_LEADER_OR_FOLLOWER, as during a leader election or an MSK rolling patch.
 * kafkajs then runs the partitioner again over every message and re-sends only to broker 2.
 */
describe("KafkaOnFailureDestination with kafkajs's own send code and a broker that fails once", () => {
  const load = createRequire(import.meta.url);
  const sendMessages = load("kafkajs/src/producer/sendMessages.js");
  const createRetry = load("kafkajs/src/retry/index.js");
  const { KafkaJSProtocolError } = load("kafkajs/src/errors.js");
  const { createErrorFromCode } = load("kafkajs/src/protocol/error.js");
  const { DefaultPartitioner } = load("kafkajs").Partitioners;
  const NOT_LEADER_OR_FOLLOWER = 6;

  /** A producer whose `send` is kafkajs's, over brokers that keep what they were asked to write. */
  function kafkajsProducer() {
    const written = new Map<number, string[]>();
    const leaders = new Map([
      [0, 1],
      [1, 2],
      [2, 1],
    ]);
    let broker2Failures = 1;
    const broker = (nodeId: number) => ({
      nodeId,
      produce: async ({
        topicData,
      }: {
        topicData: { topic: string; partitions: { partition: number; messages: Message[] }[] }[];
      }) => {
        if (nodeId === 2 && broker2Failures-- > 0) {
          throw new KafkaJSProtocolError(createErrorFromCode(NOT_LEADER_OR_FOLLOWER));
        }
        return {
          topics: topicData.map(({ topic, partitions }) => ({
            topicName: topic,
            partitions: partitions.map(({ partition, messages }) => {
              const log = written.get(partition) ?? [];
              const baseOffset = log.length;
              log.push(...messages.map((m) => String(m.value)));
              written.set(partition, log);
              return {
                partition,
                errorCode: 0,
                baseOffset: String(baseOffset),
                logAppendTime: "-1",
                logStartOffset: "0",
              };
            }),
          })),
        };
      },
    });
    const brokers = new Map([1, 2].map((id) => [id, broker(id)]));
    const cluster = {
      refreshMetadataIfNecessary: async () => undefined,
      refreshMetadata: async () => undefined,
      addMultipleTargetTopics: async () => undefined,
      isConnected: () => true,
      findTopicPartitionMetadata: () =>
        [...leaders].map(([partitionId, leader]) => ({ partitionId, leader })),
      findLeaderForPartitions: (_topic: string, partitions: string[]) => {
        const byLeader: Record<number, number[]> = {};
        for (const id of partitions.map(Number))
          byLeader[leaders.get(id) as number] = [...(byLeader[leaders.get(id) as number] ?? []), id];
        return byLeader;
      },
      findBroker: async ({ nodeId }: { nodeId: number | string }) => brokers.get(Number(nodeId)),
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
    const silent = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
    };
    const send = sendMessages({
      logger: silent,
      cluster,
      partitioner: DefaultPartitioner(),
      eosManager,
      retrier: createRetry({ retries: 3, initialRetryTime: 1, maxRetryTime: 5 }),
    });
    const producer = {
      connect: async () => undefined,
      disconnect: async () => undefined,
      send: (record: ProducerRecord) =>
        send({
          acks: record.acks,
          timeout: 1_000,
          topicMessages: [{ topic: record.topic, messages: record.messages }],
        }),
    } as unknown as Producer;
    return { producer, written };
  }

  it("writes every keyless record of the failed batch, none lost to kafkajs re-partitioning its retry", async () => {
    const { producer, written } = kafkajsProducer();
    const batch: FailedBatch = {
      ...failedBatch(),
      records: [0, 1, 2, 3, 4].map((i) =>
        toPolledRecord("orders", 0, message(i, `{"n":${i}}`, { key: null })),
      ),
    };

    await destination(producer).deliver(batch);

    const offsets = [...written.values()]
      .flat()
      .map((value) => JSON.parse(value).KafkaBatchInfo.recordInfo.offset);
    expect(new Set(offsets)).toEqual(new Set(["0", "1", "2", "3", "4"]));
  });
});
