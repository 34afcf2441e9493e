/** A fake kafkajs admin on a cluster whose brokers learn of new topics late (see laggingCluster). */
import type { Admin } from "kafkajs";

/** kafkajs raises broker errors with their code name as `type`. */
export function brokerError(type: string): Error {
  return Object.assign(new Error(`broker says ${type}`), { type, retriable: true });
}

export interface FakeCluster {
  readonly admin: Admin;
  readonly created: { topic: string; replicationFactor?: number; numPartitions?: number }[];
  metadataCalls: number;
  offsetCalls: number;
}

/**
 * An admin client on a three-broker KRaft cluster whose brokers learn of a new topic a moment after
 * CreateTopics returns: the first metadata requests answer UNKNOWN_TOPIC_OR_PARTITION, then the
 * partitions have no leader yet, then they do; and a leader named in metadata may not host its
 * partition yet, answering ListOffsets (and Produce) with NOT_LEADER_OR_FOLLOWER. Real brokers do this
 * only now and then, hence a fake.
 */
export function laggingCluster(lagRequests = 2, unhostedOffsetRequests = 0): FakeCluster {
  const topics = new Map<string, number>();
  const cluster: FakeCluster = {
    created: [],
    metadataCalls: 0,
    offsetCalls: 0,
    admin: {
      fetchTopicOffsets: async (topic: string) => {
        cluster.offsetCalls += 1;
        if (cluster.offsetCalls <= unhostedOffsetRequests) throw brokerError("NOT_LEADER_FOR_PARTITION");
        return Array.from({ length: topics.get(topic) ?? 0 }, (_, partition) => ({
          partition,
          offset: "0",
          high: "0",
          low: "0",
        }));
      },
      listTopics: async () => [...topics.keys()],
      describeCluster: async () => ({
        brokers: [1, 2, 3].map((nodeId) => ({ nodeId, host: "127.0.0.1", port: 9090 + nodeId })),
        controller: 1,
        clusterId: "test",
      }),
      describeConfigs: async () => ({
        resources: [
          {
            errorCode: 0,
            errorMessage: null,
            resourceName: "1",
            resourceType: 4,
            configEntries: [
              {
                configName: "default.replication.factor",
                configValue: "3",
                readOnly: true,
                isDefault: false,
                configSource: 4,
                isSensitive: false,
                configSynonyms: [],
              },
            ],
          },
        ],
        throttleTime: 0,
      }),
      createTopics: async ({
        topics: specs,
        waitForLeaders,
      }: {
        topics: { topic: string; numPartitions?: number }[];
        waitForLeaders?: boolean;
      }) => {
        for (const spec of specs) {
          topics.set(spec.topic, spec.numPartitions ?? 1);
          cluster.created.push(spec);
        }
        // kafkajs's own wait gives up on the first UNKNOWN_TOPIC_OR_PARTITION of a lagging broker.
        if (waitForLeaders === true && lagRequests > 0) throw brokerError("UNKNOWN_TOPIC_OR_PARTITION");
        return true;
      },
      fetchTopicMetadata: async ({ topics: names = [] }: { topics?: string[] } = {}) => {
        cluster.metadataCalls += 1;
        if (cluster.metadataCalls <= lagRequests) throw brokerError("UNKNOWN_TOPIC_OR_PARTITION");
        const leader = cluster.metadataCalls <= lagRequests + 1 ? -1 : 1;
        return {
          topics: names.map((name) => ({
            name,
            partitions: Array.from({ length: topics.get(name) ?? 0 }, (_, partitionId) => ({
              partitionErrorCode: 0,
              partitionId,
              leader,
              replicas: [1, 2, 3],
              isr: [1, 2, 3],
              offlineReplicas: [],
            })),
          })),
        };
      },
    } as unknown as Admin,
  };
  return cluster;
}
