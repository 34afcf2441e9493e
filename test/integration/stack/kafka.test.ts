import { type Admin, Kafka, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localKafkaConfig } from "../../../stack/clients";
import { replicationDefaults } from "../../../stack/kafkaCluster";
import { ensureTopics } from "../../../stack/provision";
import { topicSpec } from "../../../stack/topology";
import { stackBrokers } from "../../support/cluster";
import { consumeRecords } from "../../support/kafka";
import { uniqueName } from "../../support/names";

// Bytes that are not valid UTF-8: header values must come back byte for byte, not re-encoded.
const BINARY_HEADER = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3]);

describe("Kafka (local broker) through kafkajs", () => {
  const kafka = new Kafka(localKafkaConfig({ clientId: "it-stack-kafka" }));
  const topics: string[] = [];
  let admin: Admin;
  let producer: Producer;

  beforeAll(async () => {
    admin = kafka.admin();
    producer = kafka.producer({
      allowAutoTopicCreation: false,
      retry: { retries: 2, initialRetryTime: 100 },
    });
    await Promise.all([admin.connect(), producer.connect()]);
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  });

  async function newTopic(suffix: string): Promise<string> {
    const name = uniqueName("it.stack.kafka", suffix);
    topics.push(name);
    await ensureTopics(admin, [topicSpec(name)]);
    return name;
  }

  it("creates topics with 3 partitions, each replicated on every broker up to 3", async () => {
    const topic = await newTopic("created");
    const replicas = replicationDefaults(stackBrokers().length).replicationFactor;

    const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [topic] });

    expect(metadata[0]?.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
    expect(metadata[0]?.partitions.every((p) => p.replicas.length === replicas)).toBe(true);
  });

  it("round-trips keys, binary headers and tombstones on all three partitions with acks=-1", async () => {
    const topic = await newTopic("roundtrip");
    const messages = [0, 1, 2].flatMap((partition) => [
      { partition, key: `key-${partition}`, value: `{"n":${partition}}`, headers: { raw: BINARY_HEADER } },
      { partition, key: `key-${partition}`, value: null },
    ]);

    const acks = await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages }] });
    const records = await consumeRecords(kafka, {
      topic,
      groupId: uniqueName("it.group", "roundtrip"),
      count: messages.length,
    });

    expect(acks.every((a) => a.errorCode === 0)).toBe(true);
    expect(new Set(records.map((r) => r.partition))).toEqual(new Set([0, 1, 2]));
    for (const partition of [0, 1, 2]) {
      const inPartition = records.filter((r) => r.partition === partition).map((r) => r.message);
      expect(inPartition.map((m) => m.key?.toString())).toEqual([`key-${partition}`, `key-${partition}`]);
      expect(inPartition[0]?.value?.toString()).toBe(`{"n":${partition}}`);
      expect(Buffer.compare(inPartition[0]?.headers?.raw as Buffer, BINARY_HEADER)).toBe(0);
      expect(inPartition[1]?.value).toBeNull();
    }
  });

  it("keeps the order of one key's records in one partition with the default partitioner", async () => {
    const topic = await newTopic("ordering");
    const values = Array.from({ length: 10 }, (_, i) => `v${i}`);

    await producer.send({ topic, acks: -1, messages: values.map((value) => ({ key: "same-key", value })) });
    const records = await consumeRecords(kafka, {
      topic,
      groupId: uniqueName("it.group", "ordering"),
      count: values.length,
    });

    expect(new Set(records.map((r) => r.partition)).size).toBe(1);
    expect(records.map((r) => r.message.value?.toString())).toEqual(values);
  });

  it("stores a consumer group's committed offsets where the admin client reads them", async () => {
    const topic = await newTopic("offsets");
    const groupId = uniqueName("it.group", "offsets");
    await producer.send({
      topic,
      acks: -1,
      messages: [0, 0, 1, 2].map((partition, i) => ({ partition, value: `m${i}` })),
    });

    await consumeRecords(kafka, { topic, groupId, count: 4, commit: true });
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });

    const byPartition = Object.fromEntries(committed?.partitions.map((p) => [p.partition, p.offset]) ?? []);
    expect(byPartition).toEqual({ 0: "2", 1: "1", 2: "1" });
  });

  it("rejects a record for a topic nobody created instead of creating the topic", async () => {
    const topic = uniqueName("it.stack.kafka", "missing");

    const send = producer.send({ topic, acks: -1, messages: [{ value: "lost?" }] });

    await expect(send).rejects.toThrow(/does not host this topic-partition|retries/i);
    expect(await admin.listTopics()).not.toContain(topic);
  });
});
