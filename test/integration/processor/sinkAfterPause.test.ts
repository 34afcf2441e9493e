/**
 * The chaos campaign's seed 13 (issue 10): the bootstrap broker was paused while a new sandbox's
 * producer connected to it. kafkajs's seed `Broker.connect()` opens the socket (the kernel accepts
 * it for a stopped process) and its ApiVersions request times out. A timeout is not a connection
 * error to kafkajs, so it keeps that seed broker; the socket stays open, so the retried `connect()`
 * returns at once ("already connected") without API versions, and every request through it fails
 * with "Broker not connected" for as long as the producer lives. In a warm sandbox that is forever:
 * the campaign saw two partitions stall for 300 s, every invocation ending at its deadline with all
 * of its records reported for retry.
 *
 * The sink must recover by itself once the broker answers again.
 */
import { Kafka, logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { KafkaMessageSink } from "../../../functions/lib/adapters/KafkaMessageSink";
import type { OutgoingMessage } from "../../../functions/lib/core/types";
import { localKafkaConfig } from "../../../stack/clients";
import { brokers, pauseBroker, resumeBroker } from "../../../stack/cluster";
import { requireOwnBrokers } from "../../support/cluster";
import { useFaultTopics } from "../../support/faultTopics";
import { PipelineHarness } from "./pipelineHarness";

/** kafkajs bounds the ApiVersions request of a new connection by its connection timeout. */
const CONNECTION_TIMEOUT_MS = 1_500;

const messages = (count = 3): OutgoingMessage[] =>
  Array.from({ length: count }, (_, i) => ({
    key: Buffer.from(`key-${i}`),
    value: Buffer.from(JSON.stringify({ i })),
    headers: [],
  }));

describe("KafkaMessageSink after its bootstrap broker was paused while it connected (issue 10, seed 13)", () => {
  const { newTopic } = useFaultTopics("it-sink-after-pause");

  it("sends again once the broker answers, with the same sink", async (context) => {
    await requireOwnBrokers(context, 3);
    const topic = await newTopic("it.sink.pause", 3);
    const [seed] = await brokers();
    if (seed === undefined) throw new Error("no broker");

    // One bootstrap address, so the paused node is the seed kafkajs connects to first.
    const sink = new KafkaMessageSink({
      kafka: new Kafka({
        ...localKafkaConfig({ clientId: "it-sink-after-pause-producer" }),
        brokers: [seed.address],
        connectionTimeout: CONNECTION_TIMEOUT_MS,
        requestTimeout: CONNECTION_TIMEOUT_MS,
        logLevel: logLevel.NOTHING,
      }),
      requestTimeoutMs: CONNECTION_TIMEOUT_MS,
    });
    try {
      await pauseBroker(seed.nodeId);
      await expect(sink.send(topic, messages())).rejects.toThrow();
      await resumeBroker(seed.nodeId);

      // The processor's retries (or the mapping's redelivery to the warm sandbox) call again.
      const outcomes: string[] = [];
      for (let attempt = 0; attempt < 6 && outcomes.at(-1) !== "ok"; attempt += 1) {
        try {
          const receipts = await sink.send(topic, messages());
          expect(receipts).toHaveLength(3);
          outcomes.push("ok");
        } catch (error) {
          outcomes.push((error as Error).message);
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
      expect(outcomes.at(-1), `attempts after the broker resumed: ${outcomes.join(" | ")}`).toBe("ok");
    } finally {
      await sink.disconnect();
    }
  }, 60_000);

  it("lets the deployed bundle, warm, process the batch once the broker answers", async (context) => {
    await requireOwnBrokers(context, 3);
    const [seed] = await brokers();
    if (seed === undefined) throw new Error("no broker");
    const harness = await PipelineHarness.create("after-pause", {
      KAFKA_BROKERS: seed.address,
      KAFKA_REQUEST_TIMEOUT_MS: String(CONNECTION_TIMEOUT_MS),
    });
    try {
      await harness.createTopics();
      await harness.produceSource(
        [0, 1, 2].map((partition) => ({
          partition,
          key: `good-${partition}`,
          value: Buffer.from(
            JSON.stringify({ "Employee-Number": partition, name: `E${partition}`, age: 30 }),
          ),
        })),
      );
      const event = await harness.eventFor(3);

      // The container's first invocation meets its bootstrap broker stopped: nothing is acknowledged.
      await pauseBroker(seed.nodeId);
      let during: unknown;
      try {
        during = await harness.invoke(event, { remainingMs: 6_000 }).catch((error: unknown) => error);
      } finally {
        await resumeBroker(seed.nodeId);
      }
      expect(during).not.toEqual({ batchItemFailures: [] });

      // Lambda redelivers to the same warm container.
      const outcomes: unknown[] = [];
      for (let attempt = 0; attempt < 4; attempt += 1) {
        const outcome = await harness
          .invoke(event, { remainingMs: 8_000 })
          .catch((error: unknown) => (error as Error).message);
        outcomes.push(outcome);
        if (JSON.stringify(outcome) === JSON.stringify({ batchItemFailures: [] })) break;
      }
      expect(outcomes.at(-1), `redeliveries: ${JSON.stringify(outcomes)}`).toEqual({ batchItemFailures: [] });
      expect(await harness.read("target", 3)).toHaveLength(3);
    } finally {
      await harness.close();
    }
  }, 90_000);
});
