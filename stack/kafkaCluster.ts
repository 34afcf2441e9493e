/**
 * The Kafka nodes of the local stack: one node, or a cluster of up to three like an MSK cluster over
 * three Availability Zones. Pure: ports and paths only, so the same plan drives start, status, stop
 * and the fault controls.
 *
 * Every node is a combined KRaft broker+controller: three voters make the controller quorum, so a
 * killed or paused node leaves a majority that elects a controller and new partition leaders, as a
 * patched MSK broker does.
 */
import { ConfigError } from "../functions/lib/core/errors";
import { LOOPBACK } from "./constants";
import type { ServiceInstance, StackLayout, StackPorts } from "./types";

/** Three Availability Zones at most, so three brokers at most: ports stay in a block of six. */
export const MAX_BROKERS = 3;
export const BROKERS_VARIABLE = "STACK_KAFKA_BROKERS";

/**
 * Each node takes two ports after the previous one's: node n listens for clients on
 * KAFKA_PORT + 2(n-1) and for its controller quorum on the controller port + 2(n-1). Node 1 keeps
 * the single node's ports, so one broker or three, clients find node 1 where they always did, and
 * a checkout with another KAFKA_PORT never reaches into this block.
 */
export const PORTS_PER_NODE = 2;

/**
 * A node's SSL listener is its client port plus this (10092 for 9092): outside the block of plain
 * ports, so the one-broker and three-broker layouts (9092, 9094, 9096) stay where they always were.
 */
export const TLS_PORT_OFFSET = 1_000;

export interface KafkaNode extends ServiceInstance {
  readonly nodeId: number;
  readonly controllerPort: number;
  /** The SSL listener (TLS, client certificate required), for the producers' TLS tests. */
  readonly tlsPort: number;
}

/** Topic defaults of the cluster, as MSK sets them for its number of Availability Zones. */
export interface ReplicationDefaults {
  readonly replicationFactor: number;
  readonly minInsyncReplicas: number;
}

export interface KafkaCluster {
  readonly size: number;
  readonly nodes: readonly KafkaNode[];
  /** `host:port` of every node: what clients bootstrap from (KAFKA_BROKERS). */
  readonly bootstrap: readonly string[];
  readonly replication: ReplicationDefaults;
  /** `controller.quorum.voters`: every node, `id@host:controllerPort`. */
  readonly voters: string;
  /** Holds the cluster id every node is formatted with; undefined for a single node. */
  readonly clusterDir: string | undefined;
}

/**
 * Replication factor 3 and `min.insync.replicas` 2 on three brokers, 2 and 1 on two, as MSK does:
 * its default configuration sets `default.replication.factor` to 3 for clusters in three
 * Availability Zones and 2 for two
 * (https://docs.aws.amazon.com/msk/latest/developerguide/msk-default-configuration.html), and AWS
 * recommends `min.insync.replicas` = RF - 1, so one broker can be offline during patching
 * (https://docs.aws.amazon.com/msk/latest/developerguide/version-upgrades-best-practices.html).
 * One node can only hold one replica.
 */
export function replicationDefaults(size: number): ReplicationDefaults {
  const replicationFactor = Math.min(size, MAX_BROKERS);
  return { replicationFactor, minInsyncReplicas: Math.max(1, replicationFactor - 1) };
}

/** Reads a broker count from `--brokers` or STACK_KAFKA_BROKERS: an integer from 1 to 3. */
export function parseBrokerCount(raw: string, source: string = BROKERS_VARIABLE): number {
  const text = raw.trim();
  const count = Number(text);
  if (!/^\d+$/.test(text) || count < 1 || count > MAX_BROKERS) {
    throw new ConfigError(source, `must be a number of brokers from 1 to ${MAX_BROKERS}, got "${raw}"`);
  }
  return count;
}

/**
 * The nodes of a cluster of `size` brokers. A single node keeps the paths it always had
 * (`data/kafka`, `logs/kafka.log`); a cluster's nodes live under `data/kafka-cluster-<size>/node-<id>`,
 * so a one-broker stack and a three-broker one never share a log directory formatted for the other.
 *
 * @example
 * kafkaCluster(readStackPorts(), stackLayout(), 3).bootstrap;
 * // ["127.0.0.1:9092", "127.0.0.1:9094", "127.0.0.1:9096"]
 */
export function kafkaCluster(ports: StackPorts, layout: StackLayout, size: number): KafkaCluster {
  if (!Number.isInteger(size) || size < 1 || size > MAX_BROKERS) {
    throw new RangeError(`a local Kafka cluster has 1 to ${MAX_BROKERS} brokers, not ${size}`);
  }
  const nodes = Array.from({ length: size }, (_, i) => kafkaNode(ports, layout, size, i + 1));
  checkPorts(ports, nodes);
  return {
    size,
    nodes,
    bootstrap: nodes.map((n) => `${LOOPBACK}:${n.port}`),
    replication: replicationDefaults(size),
    voters: nodes.map((n) => `${n.nodeId}@${LOOPBACK}:${n.controllerPort}`).join(","),
    clusterDir: size === 1 ? undefined : layout.dataDir(clusterDirName(size)),
  };
}

/** Pid files a Kafka node of any cluster size may have left: `kafka.pid`, `kafka-<id>.pid`. */
export function isKafkaInstanceName(name: string): boolean {
  return /^kafka(?:-[1-9]\d*)?$/.test(name);
}

function kafkaNode(ports: StackPorts, layout: StackLayout, size: number, nodeId: number): KafkaNode {
  const offset = PORTS_PER_NODE * (nodeId - 1);
  const single = size === 1;
  const name = single ? "kafka" : `kafka-${nodeId}`;
  const dir = single ? "kafka" : `${clusterDirName(size)}/node-${nodeId}`;
  return {
    service: "kafka",
    name,
    nodeId,
    port: ports.kafka + offset,
    controllerPort: ports.kafkaController + offset,
    tlsPort: ports.kafka + TLS_PORT_OFFSET + offset,
    dataDir: layout.dataDir(dir),
    confDir: layout.confDir(dir),
    logFile: layout.logFile(name),
    pidFile: layout.pidFile(name),
    writesClassArchive: nodeId === 1,
  };
}

function clusterDirName(size: number): string {
  return `kafka-cluster-${size}`;
}

function checkPorts(ports: StackPorts, nodes: readonly KafkaNode[]): void {
  const taken = new Map<number, string>([
    [ports.dynamodb, "DYNAMODB_PORT"],
    [ports.s3, "S3_PORT"],
  ]);
  for (const node of nodes) {
    for (const [port, role] of [
      [node.port, "client"],
      [node.controllerPort, "controller"],
      [node.tlsPort, "TLS"],
    ] as const) {
      const what = `the ${role} port of Kafka node ${node.nodeId}`;
      const variable = role === "controller" ? "KAFKA_CONTROLLER_PORT" : "KAFKA_PORT";
      if (port > 65_535) throw new ConfigError(variable, `leaves no room for ${what} (${port})`);
      const other = taken.get(port);
      if (other !== undefined) {
        throw new ConfigError(variable, `puts ${what} on ${port}, already taken by ${other}`);
      }
      taken.set(port, what);
    }
  }
}
