import { Kafka } from "kafkajs";
import { describe, expect, it } from "vitest";
import { localKafkaConfig } from "../../../stack/clients";
import { LOOPBACK } from "../../../stack/constants";
import { readStackPorts } from "../../../stack/ports";
import { isPortOpen } from "../../../stack/processes";
import { ensureTopics } from "../../../stack/provision";
import { stackStatus, startService, startStack, stopService } from "../../../stack/stack";
import { topicSpec } from "../../../stack/topology";
import { stackBrokers } from "../../support/cluster";
import { consumeRecords } from "../../support/kafka";
import { uniqueName } from "../../support/names";

describe("local stack lifecycle", () => {
  it("reuses the running services on a second start and provisions nothing new", async () => {
    const began = Date.now();

    const { services, provisioned } = await startStack();

    expect(services.map((s) => s.origin)).not.toContain("started");
    expect(provisioned?.topics.created).toEqual([]);
    expect(provisioned?.buckets.created).toEqual([]);
    expect(provisioned?.tables.created).toEqual([]);
    expect(Date.now() - began).toBeLessThan(30_000);
  });

  it("reports every service, and each Kafka broker, as answering on its port", async () => {
    const ports = readStackPorts();

    const statuses = await stackStatus();

    expect(statuses.map((s) => [s.service, s.address])).toEqual([
      ...stackBrokers().map((address) => ["kafka", address]),
      ["dynamodb", `${LOOPBACK}:${ports.dynamodb}`],
      ["s3", `${LOOPBACK}:${ports.s3}`],
      ["schema-registry", `${LOOPBACK}:${ports.schemaRegistry}`],
    ]);
    for (const s of statuses) expect(["running", "external"]).toContain(s.state);
  });

  it("stops and restarts the brokers alone, keeping their topics and records", async (context) => {
    const [kafkaStatus] = await stackStatus();
    if (kafkaStatus?.state !== "running") context.skip("the broker is not managed by this checkout");
    const kafka = new Kafka(localKafkaConfig({ clientId: "it-stack-lifecycle" }));
    const topic = uniqueName("it.stack.lifecycle", "restart");
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [topicSpec(topic)]);
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: "k", value: "before the restart" }] });
    await producer.disconnect();

    const stopped = await stopService("kafka");
    const portsOpenWhileStopped = await Promise.all(
      stackBrokers().map((address) => isPortOpen(LOOPBACK, Number(address.split(":")[1]))),
    );
    const restarted = await startService("kafka");
    const records = await consumeRecords(kafka, {
      topic,
      groupId: uniqueName("it.group", "restart"),
      count: 1,
    });

    expect(stopped.result).toBe("terminated");
    expect(portsOpenWhileStopped).not.toContain(true);
    expect(restarted.origin).toBe("started");
    expect(records[0]?.message.value?.toString()).toBe("before the restart");
    const cleanup = kafka.admin();
    await cleanup.connect();
    await cleanup.deleteTopics({ topics: [topic] });
    await cleanup.disconnect();
  });
});
