/**
 * Brokers that answer differently under kafkajs's own producer code (its `sendMessages`, retrier and
 * partitioner): the fault behind issue 9 item 1, which only shows when one broker answers and
 * another fails with NOT_LEADER_OR_FOLLOWER, as during a leader election or an MSK rolling patch.
 * Shared by the sink's, the redrive's and the emulator's tests of that fault.
 */
import { createRequire } from "node:module";
import { type ICustomPartitioner, Kafka, logLevel, type Message, type RecordMetadata } from "kafkajs";

const require = createRequire(import.meta.url);
const { createErrorFromCode } = require("kafkajs/src/protocol/error") as {
  createErrorFromCode: (code: number) => Error;
};
const createSendMessages = require("kafkajs/src/producer/sendMessages") as (deps: unknown) => SendMessages;
const createRetry = require("kafkajs/src/retry") as (options: unknown) => unknown;

const NOT_LEADER_OR_FOLLOWER = 6;

type SendMessages = (args: {
  acks: number;
  timeout: number;
  topicMessages: { topic: string; messages: Message[] }[];
}) => Promise<RecordMetadata[]>;

interface TopicData {
  readonly topic: string;
  readonly partitions: readonly { readonly partition: number; readonly messages: readonly Message[] }[];
}

export interface FakeBrokerOptions {
  /** Produce requests answered with NOT_LEADER_OR_FOLLOWER before the broker writes. @default 0 */
  readonly failFirst?: number;
  /** Wait before answering, so this broker answers after one that answers at once. @default 0 */
  readonly delayMs?: number;
  /** Runs when a request fails: a leader election moving partitions elsewhere, say. */
  readonly onFailure?: () => void;
}

/** A broker: appends what it is sent per partition (the message objects, for identity checks). */
export class FakeBroker {
  readonly logs = new Map<number, Message[]>();
  requests = 0;

  constructor(
    readonly nodeId: number,
    private readonly options: FakeBrokerOptions = {},
  ) {}

  async produce({ topicData }: { topicData: readonly TopicData[] }) {
    this.requests += 1;
    if ((this.options.delayMs ?? 0) > 0)
      await new Promise((resolve) => setTimeout(resolve, this.options.delayMs));
    if (this.requests <= (this.options.failFirst ?? 0)) {
      this.options.onFailure?.();
      throw createErrorFromCode(NOT_LEADER_OR_FOLLOWER);
    }
    return {
      topics: topicData.map(({ topic, partitions }) => ({
        topicName: topic,
        partitions: partitions.map(({ partition, messages }) => {
          const log = this.logs.get(partition) ?? [];
          this.logs.set(partition, log);
          const baseOffset = log.length;
          log.push(...messages);
          return {
            partition,
            errorCode: 0,
            baseOffset: String(baseOffset),
            logAppendTime: "-1",
            logStartOffset: "0",
          };
        }),
      })),
    };
  }
}

/** Every message the brokers wrote, with the partition it was written to. */
export function writtenBy(brokers: readonly FakeBroker[]): { partition: number; message: Message }[] {
  return brokers.flatMap((b) =>
    [...b.logs].flatMap(([partition, messages]) => messages.map((message) => ({ partition, message }))),
  );
}

/**
 * The part of kafkajs's Cluster its producer uses, for one topic. `leaders()` is read on every call,
 * so a test can move leadership between a failed request and kafkajs's retry.
 */
export function fakeCluster(topic: string, leaders: () => ReadonlyMap<number, FakeBroker>) {
  const metadata = () =>
    [...leaders()].map(([partitionId, broker]) => ({
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
    findTopicPartitionMetadata: (t: string) => (t === topic ? metadata() : []),
    findLeaderForPartitions: (_: string, partitions: readonly string[]) => {
      const byLeader: Record<number, number[]> = {};
      for (const id of partitions.map(Number)) {
        const leader = leaders().get(id)?.nodeId ?? -1;
        byLeader[leader] = [...(byLeader[leader] ?? []), id];
      }
      return byLeader;
    },
    // kafkajs passes the node id as the key it grouped by: a string.
    findBroker: async ({ nodeId }: { nodeId: number | string }) =>
      [...leaders().values()].find((b) => b.nodeId === Number(nodeId)),
  };
}

export type FakeCluster = ReturnType<typeof fakeCluster>;

/** kafkajs's own `sendMessages` with its retrier, over a fake cluster. */
export function kafkajsSend(cluster: FakeCluster, partitioner: ReturnType<ICustomPartitioner>): SendMessages {
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  const eosManager = {
    acquireBrokerLock: async () => undefined,
    releaseBrokerLock: async () => undefined,
    isTransactional: () => false,
    getSequence: () => 0,
    updateSequence: () => undefined,
    getProducerId: () => -1,
    getProducerEpoch: () => 0,
  };
  return createSendMessages({
    logger: silent,
    cluster,
    partitioner,
    eosManager,
    retrier: createRetry({ retries: 3, initialRetryTime: 1, maxRetryTime: 5 }),
  });
}

/** A real kafkajs client whose producers talk to a fake cluster instead of the network. */
export function kafkaOn(cluster: FakeCluster): Kafka {
  const kafka = new Kafka({ clientId: "fake-cluster", brokers: ["fake:9092"], logLevel: logLevel.NOTHING });
  const createCluster = Object.getOwnPropertySymbols(kafka).find(
    (s) => s.description === "private:Kafka:createCluster",
  );
  if (createCluster === undefined) throw new Error("kafkajs changed: no private createCluster to replace");
  (kafka as unknown as Record<symbol, unknown>)[createCluster] = () => cluster;
  return kafka;
}
