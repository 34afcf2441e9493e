/**
 * When the sink replaces its kafkajs producer: after any failure but a broker rejecting the records
 * (kafkajs can be stuck in a state only a new producer leaves, see the integration test
 * sinkAfterPause.test.ts), never while another send still uses the old one.
 */
import type {
  ICustomPartitioner,
  Kafka,
  Message,
  PartitionMetadata,
  Producer,
  RecordMetadata,
} from "kafkajs";
import { describe, expect, it } from "vitest";
import { KafkaMessageSink } from "../../../functions/lib/adapters/KafkaMessageSink";
import { ProduceRejectedError, TransientError } from "../../../functions/lib/core/errors";

type Answer = () => Promise<RecordMetadata[]>;

/** A client whose producers answer sends from a shared script, and remember what happened to them. */
function scriptedKafka(answers: Answer[]) {
  const producers: { connects: number; disconnects: number; sends: number }[] = [];
  const kafka = {
    producer: ({ createPartitioner }: { createPartitioner: ICustomPartitioner }) => {
      const partitioner = createPartitioner();
      const partitionMetadata = [{ partitionId: 0 } as PartitionMetadata];
      const state = { connects: 0, disconnects: 0, sends: 0 };
      producers.push(state);
      return {
        connect: async () => {
          state.connects += 1;
        },
        disconnect: async () => {
          state.disconnects += 1;
        },
        send: async ({ topic, messages }: { topic: string; messages: Message[] }) => {
          state.sends += 1;
          for (const m of messages) partitioner({ topic, partitionMetadata, message: m });
          const answer = answers.shift();
          if (answer !== undefined) return answer();
          return messages.map((_, i) => ({
            topicName: "t",
            partition: 0,
            errorCode: 0,
            baseOffset: String(i),
          }));
        },
      } as unknown as Producer;
    },
  } as unknown as Kafka;
  return { kafka, producers };
}

const message = { key: Buffer.from("k"), value: Buffer.from("v"), headers: [] };
const brokerNotConnected: Answer = async () => {
  throw new Error("Broker not connected");
};
const tooLarge: Answer = async () => {
  throw Object.assign(new Error("The request included a message larger than the max message size"), {
    name: "KafkaJSProtocolError",
    type: "MESSAGE_TOO_LARGE",
    retriable: false,
  });
};

describe("KafkaMessageSink's producer", () => {
  it("is created once and reused while sends succeed", async () => {
    const { kafka, producers } = scriptedKafka([]);
    const sink = new KafkaMessageSink({ kafka });

    await sink.send("t", [message]);
    await sink.send("t", [message]);

    expect(producers).toEqual([{ connects: 1, disconnects: 0, sends: 2 }]);
  });

  it("is replaced after a failure that is not a rejection of the records, and the old one closed", async () => {
    const { kafka, producers } = scriptedKafka([brokerNotConnected]);
    const sink = new KafkaMessageSink({ kafka });

    await expect(sink.send("t", [message])).rejects.toBeInstanceOf(TransientError);
    await sink.send("t", [message]);

    expect(producers).toEqual([
      { connects: 1, disconnects: 1, sends: 1 },
      { connects: 1, disconnects: 0, sends: 1 },
    ]);
  });

  it("is kept when the broker rejects the records: the connection is fine", async () => {
    const { kafka, producers } = scriptedKafka([tooLarge]);
    const sink = new KafkaMessageSink({ kafka });

    await expect(sink.send("t", [message])).rejects.toBeInstanceOf(ProduceRejectedError);
    await sink.send("t", [message]);

    expect(producers).toHaveLength(1);
  });

  it("is closed only after the sends still using it have finished", async () => {
    let finishSlow: (metadata: RecordMetadata[]) => void = () => undefined;
    const slow: Answer = () =>
      new Promise((resolve) => {
        finishSlow = resolve;
      });
    const { kafka, producers } = scriptedKafka([slow, brokerNotConnected]);
    const sink = new KafkaMessageSink({ kafka });

    const first = sink.send("t", [message]);
    await expect(sink.send("t", [message])).rejects.toBeInstanceOf(TransientError);
    expect(producers[0]?.disconnects).toBe(0);
    finishSlow([{ topicName: "t", partition: 0, errorCode: 0, baseOffset: "7" }]);

    expect(await first).toHaveLength(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(producers[0]?.disconnects).toBe(1);
  });

  it("is built from the client factory once, across replacements", async () => {
    const { kafka, producers } = scriptedKafka([brokerNotConnected]);
    let built = 0;
    const sink = new KafkaMessageSink({
      kafka: async () => {
        built += 1;
        return kafka;
      },
    });

    await expect(sink.send("t", [message])).rejects.toThrow();
    await sink.send("t", [message]);

    expect({ built, producers: producers.length }).toEqual({ built: 1, producers: 2 });
  });
});
