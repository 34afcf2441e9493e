/** The emulator benchmark's pass-through function: what the emulator costs with nothing inside. */
import type { Kafka } from "kafkajs";
import type { KafkaLambdaHandler } from "../emulator/types";

/**
 * The least a handler can do: decode the records and write them to the target with acks from all
 * replicas, so the gap to the loop is the emulator's own cost (event building, JSON, bookkeeping).
 */
export async function passThroughHandler(
  kafka: Kafka,
  target: string,
): Promise<{ handler: KafkaLambdaHandler; close: () => Promise<void> }> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const handler: KafkaLambdaHandler = async (event) => {
    const records = Object.values(event.records).flat();
    await producer.send({
      topic: target,
      acks: -1,
      messages: records.map((r) => ({
        key: typeof r.key === "string" ? Buffer.from(r.key, "base64") : null,
        value: typeof r.value === "string" ? Buffer.from(r.value, "base64") : null,
      })),
    });
    return { batchItemFailures: [] };
  };
  return { handler, close: () => producer.disconnect() };
}
