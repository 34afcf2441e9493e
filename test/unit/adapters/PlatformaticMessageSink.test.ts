/**
 * The @platformatic/kafka sink keeps the kafkajs sink's rules (`KafkaMessageSink.test.ts`): its
 * producer is replaced after any failure but a broker rejecting the records, never while another
 * send still uses the old one; receipts come one per message, in order; partitions are decided by
 * the sink, once, the same way as kafkajs; every request asks for acks from all in-sync replicas.
 */
import { MultipleErrors, NetworkError, type ProduceResult, ResponseError } from "@platformatic/kafka";
import { Partitioners, type PartitionMetadata } from "kafkajs";
import { describe, expect, it } from "vitest";
import {
  PlatformaticMessageSink,
  type PlatformaticMessageSinkOptions,
  type PlatformaticProducer,
} from "../../../functions/lib/adapters/PlatformaticMessageSink";
import type { PlatformaticMessage } from "../../../functions/lib/adapters/platformaticRecords";
import { ProduceRejectedError, TransientError } from "../../../functions/lib/core/errors";
import type { OutgoingMessage } from "../../../functions/lib/core/types";

type Answer = (messages: PlatformaticMessage[]) => Promise<ProduceResult>;

/** Acknowledges every partition of the send, each from offset `base`. */
const acknowledge =
  (base = 0): Answer =>
  async (messages) => ({
    offsets: [...new Set(messages.map((m) => m.partition ?? -1))].map((partition) => ({
      topic: messages[0]?.topic ?? "",
      partition,
      offset: BigInt(base),
    })),
  });

/** Producers that answer sends from a shared script and remember what happened to them. */
function scriptedProducers(answers: Answer[], partitionsCount = 1) {
  /** `acks`: what each send asked for, the only acks the library puts in a Produce request. */
  const producers: { sends: number; closes: number; acks: (number | undefined)[] }[] = [];
  const sent: PlatformaticMessage[][] = [];
  const createProducer: PlatformaticMessageSinkOptions["createProducer"] = () => {
    const state = { sends: 0, closes: 0, acks: [] as (number | undefined)[] };
    producers.push(state);
    const producer: PlatformaticProducer = {
      metadata: async ({ topics }) => ({
        topics: new Map(
          topics.map((t) => [
            t,
            { partitionsCount, partitions: Array.from({ length: partitionsCount }, () => ({ leader: 1 })) },
          ]),
        ),
      }),
      send: async ({ messages, acks }) => {
        state.sends += 1;
        state.acks.push(acks);
        sent.push(messages);
        return (answers.shift() ?? acknowledge())(messages);
      },
      close: async () => {
        state.closes += 1;
      },
    };
    return producer;
  };
  return { createProducer, producers, sent };
}

const connection = { clientId: "test", bootstrapBrokers: ["127.0.0.1:1"] };
const message: OutgoingMessage = { key: Buffer.from("k"), value: Buffer.from("v"), headers: [] };
const connectionClosed: Answer = async () => {
  throw new MultipleErrors("Producing messages failed.", [new NetworkError("Connection closed")]);
};
/** What the library raises when a partition's response carries MESSAGE_TOO_LARGE (code 10). */
const tooLarge: Answer = async () => {
  throw new MultipleErrors("Producing messages failed.", [
    new ResponseError(0, 9, { "/responses/0/partitions/0": [10, "record too large"] }, {}),
  ]);
};

describe("PlatformaticMessageSink's producer", () => {
  it("is created once and reused while sends succeed, each send asking for acks from all in-sync replicas", async () => {
    const { createProducer, producers } = scriptedProducers([]);
    const sink = new PlatformaticMessageSink({ connection, createProducer });

    await sink.send("t", [message]);
    await sink.send("t", [message]);

    // On the send, not the producer: @platformatic/kafka 2.12.1 ignores a non-idempotent
    // producer's `acks` option and writes acks=1 (leader only) unless the send names it.
    expect(producers).toEqual([{ sends: 2, closes: 0, acks: [-1, -1] }]);
  });

  it("is replaced after a failure that is not a rejection of the records, and the old one closed", async () => {
    const { createProducer, producers } = scriptedProducers([connectionClosed]);
    const sink = new PlatformaticMessageSink({ connection, createProducer });

    await expect(sink.send("t", [message])).rejects.toBeInstanceOf(TransientError);
    await sink.send("t", [message]);

    expect(producers).toEqual([
      { sends: 1, closes: 1, acks: [-1] },
      { sends: 1, closes: 0, acks: [-1] },
    ]);
  });

  it("is kept when the broker rejects the records, which become a ProduceRejectedError", async () => {
    const { createProducer, producers } = scriptedProducers([tooLarge]);
    const sink = new PlatformaticMessageSink({ connection, createProducer });

    const rejected = await sink.send("t", [message]).catch((error: unknown) => error);
    await sink.send("t", [message]);

    expect(rejected).toBeInstanceOf(ProduceRejectedError);
    expect((rejected as Error).message).toBe('broker rejected records for "t": MESSAGE_TOO_LARGE');
    expect(producers).toHaveLength(1);
  });

  it("is replaced when the topic is unknown: retried, not dead-lettered", async () => {
    const unknownTopic: Answer = async () => {
      throw new ResponseError(0, 9, { "/responses/0/partitions/0": [3, null] }, {});
    };
    const { createProducer, producers } = scriptedProducers([unknownTopic]);
    const sink = new PlatformaticMessageSink({ connection, createProducer });

    const error = await sink.send("t", [message]).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toBe('producing to "t" failed: UNKNOWN_TOPIC_OR_PARTITION');
    await sink.send("t", [message]);
    expect(producers.map((p) => p.closes)).toEqual([1, 0]);
  });

  it("is closed only after the sends still using it have finished", async () => {
    let finishSlow: (result: ProduceResult) => void = () => undefined;
    const slow: Answer = () =>
      new Promise((resolve) => {
        finishSlow = resolve;
      });
    const { createProducer, producers } = scriptedProducers([slow, connectionClosed]);
    const sink = new PlatformaticMessageSink({ connection, createProducer });

    const first = sink.send("t", [message]);
    await new Promise((resolve) => setImmediate(resolve));
    await expect(sink.send("t", [message])).rejects.toBeInstanceOf(TransientError);
    expect(producers[0]?.closes).toBe(0);
    finishSlow({ offsets: [{ topic: "t", partition: 0, offset: 7n }] });

    expect(await first).toEqual([{ partition: 0, offset: 7 }]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(producers[0]?.closes).toBe(1);
  });

  it("reads its connection settings once, across replacements", async () => {
    const { createProducer, producers } = scriptedProducers([connectionClosed]);
    let built = 0;
    const sink = new PlatformaticMessageSink({
      connection: async () => {
        built += 1;
        return connection;
      },
      createProducer,
    });

    await expect(sink.send("t", [message])).rejects.toThrow();
    await sink.send("t", [message]);

    expect({ built, producers: producers.length }).toEqual({ built: 1, producers: 2 });
  });

  it("is closed by disconnect, and a later send builds a new one", async () => {
    const { createProducer, producers } = scriptedProducers([]);
    const sink = new PlatformaticMessageSink({ connection, createProducer });

    await sink.send("t", [message]);
    await sink.disconnect();
    await sink.send("t", [message]);

    expect(producers.map((p) => p.closes)).toEqual([1, 0]);
  });
});

describe("PlatformaticMessageSink's receipts", () => {
  it("gives one per message, in order, counting on from each partition's base offset", async () => {
    const { createProducer } = scriptedProducers([acknowledge(40)], 3);
    const sink = new PlatformaticMessageSink({ connection, createProducer });
    const messages = [0, 1, 0, 2, 0].map((p) => ({ ...message, preferredPartition: p }));

    const receipts = await sink.send("t", messages);

    expect(receipts).toEqual([
      { partition: 0, offset: 40 },
      { partition: 1, offset: 40 },
      { partition: 0, offset: 41 },
      { partition: 2, offset: 40 },
      { partition: 0, offset: 42 },
    ]);
  });

  it("fails the send, retriably, when a partition it wrote to was not acknowledged", async () => {
    const onlyPartitionZero: Answer = async () => ({ offsets: [{ topic: "t", partition: 0, offset: 0n }] });
    const { createProducer } = scriptedProducers([onlyPartitionZero], 2);
    const sink = new PlatformaticMessageSink({ connection, createProducer });

    const sent = sink.send(
      "t",
      [0, 1].map((p) => ({ ...message, preferredPartition: p })),
    );

    await expect(sent).rejects.toThrow(/no acknowledgement for partition 1/);
    await expect(sent).rejects.toBeInstanceOf(TransientError);
  });

  it("names no record content in its errors", async () => {
    const { createProducer } = scriptedProducers([connectionClosed]);
    const sink = new PlatformaticMessageSink({ connection, createProducer });
    const secret = { ...message, key: Buffer.from("SECRET-KEY"), value: Buffer.from("SECRET-VALUE") };

    const error = (await sink.send("t", [secret]).catch((e: unknown) => e)) as Error;

    expect(error.message).toBe('producing to "t" failed: Connection closed');
    expect(error.message).not.toMatch(/SECRET/);
  });
});

describe("PlatformaticMessageSink's partitions", () => {
  it("are decided by the sink before the library sees the messages, so its retries keep them", async () => {
    const { createProducer, sent } = scriptedProducers([], 6);
    const sink = new PlatformaticMessageSink({ connection, createProducer });

    await sink.send("t", [
      { ...message, key: null },
      { ...message, key: null },
      { ...message, preferredPartition: 4 },
    ]);

    expect(sent[0]?.map((m) => m.partition)).toEqual([0, 1, 4]);
  });

  it("are the ones kafkajs's DefaultPartitioner (the Java client's murmur2) picks for the same key", async () => {
    const count = 7;
    const keys = Array.from({ length: 300 }, (_, i) => Buffer.from(`employee-${i * 7919}`));
    const { createProducer, sent } = scriptedProducers([], count);
    const sink = new PlatformaticMessageSink({ connection, createProducer });
    const kafkajs = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from(
      { length: count },
      (_, partitionId) => ({ partitionId, leader: 1 }) as PartitionMetadata,
    );

    await sink.send(
      "t",
      keys.map((key) => ({ ...message, key })),
    );

    expect(sent[0]?.map((m) => m.partition)).toEqual(
      keys.map((key) => kafkajs({ topic: "t", partitionMetadata, message: { key, value: null } })),
    );
  });

  it("honour a preferred partition the topic has, and fall back to the key's otherwise", async () => {
    const { createProducer, sent } = scriptedProducers([], 3);
    const sink = new PlatformaticMessageSink({ connection, createProducer });
    const key = Buffer.from("k");

    await sink.send("t", [
      { ...message, key, preferredPartition: 2 },
      { ...message, key, preferredPartition: 9 },
      { ...message, key },
    ]);

    const [kept, fallback, byKey] = sent[0]?.map((m) => m.partition) ?? [];
    expect(kept).toBe(2);
    expect(fallback).toBe(byKey);
  });

  it("carry every header, in order, a repeated name included, and the timestamp", async () => {
    const { createProducer, sent } = scriptedProducers([]);
    const sink = new PlatformaticMessageSink({ connection, createProducer });
    const headers = [
      { name: "a", value: Buffer.from("1") },
      { name: "b", value: Buffer.from([0, 255]) },
      { name: "a", value: Buffer.from("2") },
    ];

    await sink.send("t", [{ key: null, value: null, headers, timestamp: 1_700_000_000_000 }]);

    const [produced] = sent[0] ?? [];
    const written = [...((produced?.headers as Map<Buffer, Buffer>) ?? new Map())].map(([k, v]) => [
      k.toString(),
      v,
    ]);
    expect(written).toEqual(headers.map((h) => [h.name, h.value]));
    expect(produced).toMatchObject({ key: null, value: null, timestamp: 1_700_000_000_000n });
  });
});
