import { describe, expect, it } from "vitest";
import { canaryTopics } from "../../../functions/lib/canary/canaryRecord";
import { ensureCanaryTopics } from "../../../tools/canary/canaryTopicsIo";
import { CanarySetupError } from "../../../tools/canary/errors";
import { laggingCluster } from "../../support/laggingCluster";

describe("ensureCanaryTopics", () => {
  it("with --local, creates the topics and waits out brokers that learn of them late (a three-broker stack)", async () => {
    const cluster = laggingCluster(2, 1);
    const topics = canaryTopics("canary.lagging");

    await ensureCanaryTopics(cluster.admin, topics, true);

    expect(cluster.created.map((t) => [t.topic, t.numPartitions, t.replicationFactor])).toEqual([
      [topics.source, 1, 1],
      [topics.target, 1, 1],
      [topics.dlq, 1, 1],
    ]);
    // Every leader hosts its partition before the canary reads end offsets or produces.
    expect(cluster.offsetCalls).toBeGreaterThanOrEqual(4);
  });

  it("against a deployment, creates nothing and names the missing topics", async () => {
    const cluster = laggingCluster(0);
    const topics = canaryTopics("canary.missing");

    const refused = ensureCanaryTopics(cluster.admin, topics, false);

    await expect(refused).rejects.toBeInstanceOf(CanarySetupError);
    await expect(refused).rejects.toThrow(/the cluster has no topic canary\.missing/);
    expect(cluster.created).toEqual([]);
  });
});
