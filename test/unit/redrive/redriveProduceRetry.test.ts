import { createRequire } from "node:module";
import { Kafka, logLevel, type Message } from "kafkajs";
import { describe, expect, it } from "vitest";
import { KafkaMessageSink } from "../../../functions/lib/adapters/KafkaMessageSink";
import { REDRIVE_HEADERS } from "../../../functions/lib/core/headers";
import { IndexReplaySource } from "../../../functions/lib/redrive/IndexReplaySource";
import { Redriver } from "../../../functions/lib/redrive/Redriver";
import { deadLetter, MemoryCatalog, MemoryEnvelopes, MemoryRuns, MemoryTopics } from "./memoryPorts";

// kafkajs's own protocol error, as its broker code throws it for a produce response's error code.
const require = createRequire(import.meta.url);
const { createErrorFromCode } = require("kafkajs/src/protocol/error") as {
  createErrorFromCode: (code: number) => Error;
};
const NOT_LEADER_FOR_PARTITION = 6;

interface TopicData {
  readonly topic: string;
  readonly partitions: readonly { readonly partition: number; readonly messages: readonly Message[] }[];
}

/** A broker leading some partitions: appends what it is sent, or fails its first produce requests. */
class FakeBroker {
  readonly logs = new Map<number, Message[]>();
  requests = 0;

  constructor(
    readonly nodeId: number,
    private readonly failFirst: number,
  ) {}

  async produce({ topicData }: { topicData: readonly TopicData[] }) {
    this.requests += 1;
    // Answer after the other broker did, as a broker in a leader election does.
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (this.requests <= this.failFirst) throw createErrorFromCode(NOT_LEADER_FOR_PARTITION);
    return {
      topics: topicData.map(({ topic, partitions }) => ({
        topicName: topic,
        partitions: partitions.map(({ partition, messages }) => {
          const log = this.logs.get(partition) ?? [];
          this.logs.set(partition, log);
          const baseOffset = log.length;
          log.push(...messages);
          return { partition, errorCode: 0, baseOffset: String(baseOffset), logAppendTime: "-1" };
        }),
      })),
    };
  }
}

/**
 * The part of kafkajs's Cluster its producer uses, for one topic whose partitions are led by
 * different brokers. Everything above it (the producer, its retrier, sendMessages, the partitioner)
 * is kafkajs's real code.
 */
function fakeCluster(topic: string, leaders: readonly FakeBroker[]) {
  const partitionMetadata = leaders.map((broker, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: broker.nodeId,
    replicas: [broker.nodeId],
    isr: [broker.nodeId],
    offlineReplicas: [],
  }));
  return {
    retry: {},
    targetTopics: new Set([topic]),
    connect: async () => undefined,
    disconnect: async () => undefined,
    isConnected: () => true,
    refreshMetadata: async () => undefined,
    refreshMetadataIfNecessary: async () => undefined,
    addMultipleTargetTopics: async () => undefined,
    removeBroker: () => undefined,
    findTopicPartitionMetadata: (t: string) => (t === topic ? partitionMetadata : []),
    findLeaderForPartitions: (_: string, partitions: readonly string[]) => {
      const byLeader: Record<number, number[]> = {};
      for (const id of partitions.map(Number)) {
        const leader = partitionMetadata[id]?.leader ?? -1;
        byLeader[leader] = [...(byLeader[leader] ?? []), id];
      }
      return byLeader;
    },
    // kafkajs passes the node id as the key it grouped by: a string.
    findBroker: async ({ nodeId }: { nodeId: number | string }) =>
      leaders.find((b) => b.nodeId === Number(nodeId)),
  };
}

/** A real kafkajs client whose producers talk to the fake cluster instead of the network. */
function kafkaOn(cluster: ReturnType<typeof fakeCluster>): Kafka {
  const kafka = new Kafka({ clientId: "redrive-test", brokers: ["fake:9092"], logLevel: logLevel.NOTHING });
  const createCluster = Object.getOwnPropertySymbols(kafka).find(
    (s) => s.description === "private:Kafka:createCluster",
  );
  if (createCluster === undefined) throw new Error("kafkajs changed: no private createCluster to replace");
  (kafka as unknown as Record<symbol, unknown>)[createCluster] = () => cluster;
  return kafka;
}

describe("redrive --to-topic of keyless records while one partition leader fails over", () => {
  it("writes every replay, and marks each letter with the partition and offset that hold it", async () => {
    const topic = "employees.retry";
    const answering = new FakeBroker(1, 0);
    const electing = new FakeBroker(2, 1);
    const sink = new KafkaMessageSink({ kafka: kafkaOn(fakeCluster(topic, [answering, electing])) });
    // Three keyless letters: an odd count, so a second pass of a round-robin moves every one.
    const letters = [1, 2, 3].map((offset) => {
      const letter = deadLetter("employees", offset);
      return {
        ...letter,
        envelope: { ...letter.envelope, record: { ...letter.envelope.record, key: null } },
      };
    });
    const catalog = new MemoryCatalog(letters.map((l) => l.view));
    const envelopes = new MemoryEnvelopes();
    for (const l of letters) envelopes.envelopes.set(l.view.id, l.envelope);
    const redriver = new Redriver({
      sink,
      runs: new MemoryRuns(),
      topics: new MemoryTopics(new Set(["employees", topic])),
      sourceFor: (r) => new IndexReplaySource(catalog, envelopes, r.filter),
      now: () => Date.UTC(2026, 10, 22, 12),
      sleep: async () => undefined,
    });

    const summary = await redriver.start({
      source: { kind: "index" },
      filter: {
        ids: [],
        topic: "employees",
        since: undefined,
        until: undefined,
        stage: undefined,
        errorClass: undefined,
        statuses: ["new"],
      },
      toTopic: topic,
      maxRedrives: 3,
      maxCount: undefined,
      ratePerSecond: 1_000,
      batchSize: 10,
      dryRun: false,
    });
    await sink.disconnect();

    expect(electing.requests).toBeGreaterThan(1);
    expect(summary.counts).toMatchObject({ replayed: 3, failed: 0 });
    const idAt = (partition: number, offset: number) => {
      const broker = partition === 0 ? answering : electing;
      const header = broker.logs.get(partition)?.[offset]?.headers?.[REDRIVE_HEADERS.deadLetterId];
      return header === undefined ? undefined : String(header);
    };
    const written = [0, 1].flatMap((p) =>
      ((p === 0 ? answering : electing).logs.get(p) ?? []).map((_, o) => idAt(p, o)),
    );
    for (const letter of letters) {
      // Every letter marked redriven was written, at the very place its mark names.
      expect(written).toContain(letter.view.id);
      const mark = catalog.letters.get(letter.view.id)?.redrive;
      expect(mark).toBeDefined();
      expect(idAt(mark?.partition ?? -1, mark?.offset ?? -1)).toBe(letter.view.id);
    }
  });
});
