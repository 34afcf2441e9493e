/**
 * What the cluster says about partitions: leaders, replicas, in-sync replicas. Read from a fresh
 * metadata request each time, from a node that can answer.
 */
import { serviceContext } from "../context";
import { StackError } from "../errors";
import type { StackOptions } from "../types";
import { withClusterAdmin } from "./admin";
import { waitFor } from "./poll";

export interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  /** Node id of the leader; undefined while the partition has none (no in-sync replica is up). */
  readonly leader: number | undefined;
  /** Replica node ids, the preferred leader first. */
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly offlineReplicas: readonly number[];
}

export interface WaitOptions extends StackOptions {
  readonly timeoutMs?: number;
}

const DEFAULT_WAIT_MS = 60_000;

/**
 * Leader, replicas and ISR of every partition of the topics (all topics when none are named).
 *
 * @example
 * const [p0] = await partitionStates(["orders"]);
 */
export async function partitionStates(
  topics: readonly string[] = [],
  options: StackOptions = {},
): Promise<PartitionState[]> {
  return withClusterAdmin(serviceContext(options), async (admin) => {
    const names = topics.length > 0 ? [...topics] : await admin.listTopics();
    if (names.length === 0) return [];
    const { topics: metadata } = await admin.fetchTopicMetadata({ topics: names });
    return metadata.flatMap((t) =>
      t.partitions.map(
        (p): PartitionState => ({
          topic: t.name,
          partition: p.partitionId,
          leader: p.leader >= 0 ? p.leader : undefined,
          replicas: p.replicas,
          isr: p.isr,
          offlineReplicas: p.offlineReplicas ?? [],
        }),
      ),
    );
  });
}

export async function partitionState(
  topic: string,
  partition: number,
  options: StackOptions = {},
): Promise<PartitionState> {
  const state = (await partitionStates([topic], options)).find((p) => p.partition === partition);
  if (state === undefined) {
    throw new StackError(`topic ${topic} has no partition ${partition}`, { service: "kafka" });
  }
  return state;
}

/**
 * Node id of the partition's leader, as the cluster's metadata says now; undefined while it has none.
 *
 * @example
 * const before = await leaderOf("orders", 0);
 */
export async function leaderOf(topic: string, partition: number, options: StackOptions = {}) {
  return (await partitionState(topic, partition, options)).leader;
}

/**
 * Waits until the node is in the ISR of every partition that has it as a replica: it has caught up
 * and counts towards `min.insync.replicas` again.
 */
export async function waitUntilInSync(nodeId: number, options: WaitOptions = {}): Promise<void> {
  let behind: PartitionState[] = [];
  await waitFor(
    `node ${nodeId} to rejoin the ISR of its partitions`,
    options.timeoutMs ?? DEFAULT_WAIT_MS,
    async () => {
      const states = await partitionStates([], options).catch(() => undefined);
      if (states === undefined) return false;
      behind = states.filter((p) => p.replicas.includes(nodeId) && !p.isr.includes(nodeId));
      return behind.length === 0;
    },
    () =>
      `still out of sync: ${behind
        .slice(0, 5)
        .map((p) => `${p.topic}-${p.partition}`)
        .join(", ")}`,
    250,
  );
}

/** Waits until the partition's leader satisfies `accept`; returns that leader. */
export async function waitForLeader(
  topic: string,
  partition: number,
  accept: (leader: number | undefined) => boolean,
  what: string,
  options: WaitOptions = {},
): Promise<number | undefined> {
  let leader: number | undefined;
  await waitFor(
    `${topic}-${partition} ${what}`,
    options.timeoutMs ?? DEFAULT_WAIT_MS,
    async () => {
      const state = await partitionState(topic, partition, options).catch(() => undefined);
      if (state === undefined) return false;
      leader = state.leader;
      return accept(leader);
    },
    () => `leader now ${leader ?? "none"}`,
    200,
  );
  return leader;
}
