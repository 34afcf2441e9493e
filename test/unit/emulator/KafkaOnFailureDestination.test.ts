import { type Message, Partitioners, type Producer, type ProducerRecord, type RecordMetadata } from "kafkajs";
import { describe, expect, it } from "vitest";
import { toPolledRecord } from "../../../emulator/eventBuilder";
import { KafkaOnFailureDestination } from "../../../emulator/KafkaOnFailureDestination";
import { partitionForKey } from "../../../emulator/keyPartitioner";
import type { FailedBatch } from "../../../emulator/types";
import { FakeBroker, fakeCluster, kafkajsSend, writtenBy } from "../../doubles/fakeKafkaCluster";
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
  /** A producer whose `send` is kafkajs's, over brokers that keep what they were asked to write. */
  function kafkajsProducer() {
    const leader1 = new FakeBroker(1);
    const leader2 = new FakeBroker(2, { failFirst: 1 });
    const leaders = new Map([
      [0, leader1],
      [1, leader2],
      [2, leader1],
    ]);
    const send = kafkajsSend(
      fakeCluster("orders.failed", () => leaders),
      Partitioners.DefaultPartitioner(),
    );
    const producer = {
      connect: async () => undefined,
      disconnect: async () => undefined,
      send: (record: ProducerRecord) =>
        send({
          acks: record.acks ?? -1,
          timeout: 1_000,
          topicMessages: [{ topic: record.topic, messages: record.messages }],
        }),
    } as unknown as Producer;
    const written = () => writtenBy([leader1, leader2]).map((w) => String(w.message.value));
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

    const offsets = written().map((value) => JSON.parse(value).KafkaBatchInfo.recordInfo.offset);
    expect(new Set(offsets)).toEqual(new Set(["0", "1", "2", "3", "4"]));
  });
});
