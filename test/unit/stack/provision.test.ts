import { describe, expect, it } from "vitest";
import { ensureTopics } from "../../../stack/provision";
import { topicSpec } from "../../../stack/topology";
import { brokerError, laggingCluster } from "../../support/laggingCluster";

describe("ensureTopics", () => {
  it("waits out brokers that do not know a new topic yet, until every partition has a leader", async () => {
    const cluster = laggingCluster();

    const result = await ensureTopics(cluster.admin, [topicSpec("orders")]);

    expect(result).toEqual({ created: ["orders"], existing: [] });
    expect(cluster.metadataCalls).toBe(4);
  });

  it("waits until each leader hosts its partition, so the first produce does not fail half-way and get retried", async () => {
    const cluster = laggingCluster(0, 2);

    await ensureTopics(cluster.admin, [topicSpec("orders")]);

    expect(cluster.offsetCalls).toBe(3);
  });

  it("gives a topic without a replication factor the brokers' default.replication.factor", async () => {
    const cluster = laggingCluster(0);

    await ensureTopics(cluster.admin, [topicSpec("orders"), topicSpec("audit", { replicationFactor: 1 })]);

    expect(cluster.created.map((t) => [t.topic, t.replicationFactor])).toEqual([
      ["orders", 3],
      ["audit", 1],
    ]);
  });

  it("does not wait on errors that are not metadata lag", async () => {
    const cluster = laggingCluster(0);
    cluster.admin.fetchTopicMetadata = async () => {
      throw brokerError("TOPIC_AUTHORIZATION_FAILED");
    };

    await expect(ensureTopics(cluster.admin, [topicSpec("orders")])).rejects.toThrow(
      /TOPIC_AUTHORIZATION_FAILED/,
    );
  });
});
