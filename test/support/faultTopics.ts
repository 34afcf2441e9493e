/**
 * For test files that break brokers: fresh three-replica topics, an admin to make them with, and the
 * cluster healed after every test, so the next test (and the next file) gets three live, in-sync
 * brokers whatever a test left behind. Registers its own hooks; call it inside `describe`.
 */
import { type Admin, Kafka } from "kafkajs";
import { afterAll, afterEach, beforeAll } from "vitest";
import { localKafkaConfig } from "../../stack/clients";
import { brokers, healCluster } from "../../stack/cluster";
import { ensureTopics } from "../../stack/provision";
import { topicSpec } from "../../stack/topology";
import { uniqueName } from "./names";

export interface FaultTopics {
  /** A new topic with replication factor 3 (and the given topic configs), deleted after the file. */
  readonly newTopic: (
    prefix: string,
    numPartitions: number,
    configEntries?: Readonly<Record<string, string>>,
  ) => Promise<string>;
}

export function useFaultTopics(clientId: string): FaultTopics {
  const kafka = new Kafka(localKafkaConfig({ clientId }));
  const topics: string[] = [];
  let admin: Admin;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });

  afterEach(async () => {
    if ((await brokers()).length >= 3) await healCluster();
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  });

  return {
    newTopic: async (prefix, numPartitions, configEntries = {}) => {
      const topic = uniqueName(prefix);
      topics.push(topic);
      await ensureTopics(admin, [topicSpec(topic, { numPartitions, replicationFactor: 3, configEntries })]);
      return topic;
    },
  };
}
