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
import { PlatformaticMessageSink } from "../../../functions/lib/adapters/PlatformaticMessageSink";
import { KAFKA_PRODUCERS, type KafkaProducer } from "../../../functions/lib/config";
import type { MessageSink } from "../../../functions/lib/core/ports";
import type { KafkaEvent, OutgoingMessage } from "../../../functions/lib/core/types";
import { localKafkaConfig } from "../../../stack/clients";
import { brokers, pauseBroker, resumeBroker } from "../../../stack/cluster";
import { requireOwnBrokers } from "../../support/cluster";
import { useFaultTopics } from "../../support/faultTopics";
import { type PipelineHarness, producerHarness } from "./pipelineHarness";

/** kafkajs bounds the ApiVersions request of a new connection by its connection timeout. */
const CONNECTION_TIMEOUT_MS = 1_500;

const messages = (count = 3): OutgoingMessage[] =>
  Array.from({ length: count }, (_, i) => ({
    key: Buffer.from(`key-${i}`),
    value: Buffer.from(JSON.stringify({ i })),
    headers: [],
  }));

/** A sink of `producer` with one bootstrap address, so the paused node is the seed it connects to first. */
function sinkOf(producer: KafkaProducer, address: string): MessageSink & { disconnect(): Promise<void> } {
  if (producer === "platformatic") {
    return new PlatformaticMessageSink({
      connection: { clientId: "it-sink-after-pause-producer", bootstrapBrokers: [address] },
      requestTimeoutMs: CONNECTION_TIMEOUT_MS,
    });
  }
  return new KafkaMessageSink({
    kafka: new Kafka({
      ...localKafkaConfig({ clientId: "it-sink-after-pause-producer" }),
      brokers: [address],
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      requestTimeout: CONNECTION_TIMEOUT_MS,
      logLevel: logLevel.NOTHING,
    }),
    requestTimeoutMs: CONNECTION_TIMEOUT_MS,
  });
}

/** Retries `send` as the processor (or the mapping's redelivery) would, until one succeeds. */
async function sendsAfterResume(sink: MessageSink, topic: string): Promise<string[]> {
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
  return outcomes;
}

// Both producers meet the same pause: pausing and waiting out timeouts is most of the time.
describe("a sink after its bootstrap broker was paused while it connected (issue 10, seed 13)", () => {
  const { newTopic } = useFaultTopics("it-sink-after-pause");

  it("sends again once the broker answers, with the same sink, for either producer", async (context) => {
    await requireOwnBrokers(context, 3);
    const topic = await newTopic("it.sink.pause", 3);
    const [seed] = await brokers();
    if (seed === undefined) throw new Error("no broker");

    const sinks = KAFKA_PRODUCERS.map((producer) => sinkOf(producer, seed.address));
    try {
      await pauseBroker(seed.nodeId);
      try {
        const during = await Promise.allSettled(sinks.map((sink) => sink.send(topic, messages())));
        expect(during.map((d) => d.status)).toEqual(KAFKA_PRODUCERS.map(() => "rejected"));
      } finally {
        await resumeBroker(seed.nodeId);
      }

      const after = await Promise.all(sinks.map((sink) => sendsAfterResume(sink, topic)));
      for (const [i, outcomes] of after.entries()) {
        expect(
          outcomes.at(-1),
          `${KAFKA_PRODUCERS[i]}: attempts after the broker resumed: ${outcomes.join(" | ")}`,
        ).toBe("ok");
      }
    } finally {
      await Promise.all(sinks.map((sink) => sink.disconnect()));
    }
  }, 60_000);

  it("lets the deployed bundle, warm, process the batch once the broker answers, for either producer", async (context) => {
    await requireOwnBrokers(context, 3);
    const [seed] = await brokers();
    if (seed === undefined) throw new Error("no broker");
    // One after the other: a harness's INIT reads the process environment it sets for the import.
    const harnesses: PipelineHarness[] = [];
    for (const producer of KAFKA_PRODUCERS) {
      harnesses.push(
        await producerHarness(producer)("after-pause", {
          KAFKA_BROKERS: seed.address,
          KAFKA_REQUEST_TIMEOUT_MS: String(CONNECTION_TIMEOUT_MS),
        }),
      );
    }
    try {
      const events: KafkaEvent[] = [];
      for (const harness of harnesses) {
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
        events.push(await harness.eventFor(3));
      }

      // The container's first invocation meets its bootstrap broker stopped: nothing is acknowledged.
      await pauseBroker(seed.nodeId);
      let during: unknown[] = [];
      try {
        during = await Promise.all(
          harnesses.map((h, i) =>
            h.invoke(events[i] as KafkaEvent, { remainingMs: 6_000 }).catch((error: unknown) => error),
          ),
        );
      } finally {
        await resumeBroker(seed.nodeId);
      }
      for (const outcome of during) expect(outcome).not.toEqual({ batchItemFailures: [] });

      // Lambda redelivers to the same warm container.
      const redeliver = async (index: number) => {
        const outcomes: unknown[] = [];
        for (let attempt = 0; attempt < 4; attempt += 1) {
          const outcome = await (harnesses[index] as PipelineHarness)
            .invoke(events[index] as KafkaEvent, { remainingMs: 8_000 })
            .catch((error: unknown) => (error as Error).message);
          outcomes.push(outcome);
          if (JSON.stringify(outcome) === JSON.stringify({ batchItemFailures: [] })) break;
        }
        return outcomes;
      };
      const redeliveries = await Promise.all(harnesses.map((_, i) => redeliver(i)));
      for (const [i, outcomes] of redeliveries.entries()) {
        const producer = KAFKA_PRODUCERS[i];
        expect(outcomes.at(-1), `${producer}: redeliveries: ${JSON.stringify(outcomes)}`).toEqual({
          batchItemFailures: [],
        });
        expect(await (harnesses[i] as PipelineHarness).read("target", 3), producer).toHaveLength(3);
      }
    } finally {
      await Promise.all(harnesses.map((h) => h.close()));
    }
  }, 90_000);
});
