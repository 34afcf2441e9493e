/**
 * Fault controls on one Kafka node of the local cluster, for tests and the chaos campaign: kill it
 * (SIGKILL, no clean shutdown, as a crashed host), pause it (SIGSTOP: it holds its connections and
 * answers nothing, as a host stuck in a GC pause or a network partition), resume it, and restart it
 * with its data.
 */
import { LOOPBACK } from "../constants";
import { serviceContext } from "../context";
import { StackError } from "../errors";
import { livePid, startInstances, stopInstance } from "../instances";
import type { KafkaNode } from "../kafkaCluster";
import { isPortOpen, isProcessPaused, signalGroup } from "../processes";
import type { ServiceContext, StackOptions } from "../types";
import { waitUntilInSync } from "./partitions";
import { waitFor } from "./poll";

export const BROKER_STATES = {
  running: "running",
  /** Stopped by SIGSTOP (pauseBroker) until resumeBroker. */
  paused: "paused",
  /** Not running: killed, stopped, or never started. */
  stopped: "stopped",
  /** Answering on the node's port, but not a process of this checkout (docker compose). */
  external: "external",
} as const;
export type BrokerState = (typeof BROKER_STATES)[keyof typeof BROKER_STATES];

export interface BrokerProcess {
  readonly nodeId: number;
  /** `kafka-2` (`kafka` for a single node): names its log and pid file. */
  readonly name: string;
  /** `127.0.0.1:<port>`, as clients bootstrap from it. */
  readonly address: string;
  readonly port: number;
  readonly controllerPort: number;
  readonly pid: number | undefined;
  readonly state: BrokerState;
  readonly logFile: string;
  readonly dataDir: string;
}

export interface FaultOptions extends StackOptions {
  /** How long to wait for a started broker to rejoin every ISR; default 60 s (starting has `timeoutMs`). */
  readonly inSyncTimeoutMs?: number;
}

/**
 * Every node of this checkout's cluster with its pid and state.
 *
 * @example
 * const nodes = await brokers();
 * nodes.map((b) => `${b.nodeId} ${b.address} ${b.state}`);
 */
export async function brokers(options: StackOptions = {}): Promise<BrokerProcess[]> {
  const context = serviceContext(options);
  return Promise.all(context.kafka.nodes.map((node) => describeNode(node, context)));
}

/**
 * SIGKILL to the node's JVM: no controlled shutdown, so its partitions keep it as leader and in ISR
 * until the controller fences it (broker.session.timeout.ms, 9 s), as when a host dies. Resolves once
 * the process is gone; its data stays for restartBroker.
 */
export async function killBroker(nodeId: number, options: StackOptions = {}): Promise<BrokerProcess> {
  const context = serviceContext(options);
  const { node, pid } = await ourNode(context, nodeId);
  signalGroup(pid, "SIGKILL");
  // The kernel drops a dying process's command line before it closes its sockets: wait for both, so
  // nobody sees the port still answering after the kill returned.
  await waitFor(`node ${nodeId} (pid ${pid}) to die and close its ports`, 10_000, async () => {
    if ((await livePid(node, context.layout)) !== undefined) return false;
    const open = await Promise.all(
      [node.port, node.controllerPort].map((port) => isPortOpen(LOOPBACK, port)),
    );
    return !open.includes(true);
  });
  return describeNode(node, context);
}

/**
 * SIGSTOP to the node's JVM: its sockets stay open, so clients connect and their requests time out;
 * past 9 s the controller fences it and moves its leaderships. Pair with resumeBroker.
 */
export async function pauseBroker(nodeId: number, options: StackOptions = {}): Promise<BrokerProcess> {
  const context = serviceContext(options);
  const { node, pid } = await ourNode(context, nodeId);
  signalGroup(pid, "SIGSTOP");
  await waitFor(`node ${nodeId} (pid ${pid}) to stop`, 5_000, async () => isProcessPaused(pid));
  return describeNode(node, context);
}

/** SIGCONT to a paused node, then waits until it answers a metadata request as a live broker again. */
export async function resumeBroker(nodeId: number, options: StackOptions = {}): Promise<BrokerProcess> {
  const context = serviceContext(options);
  const { node, pid } = await ourNode(context, nodeId);
  signalGroup(pid, "SIGCONT");
  await waitFor(`node ${nodeId} to run again`, 5_000, async () => !isProcessPaused(pid));
  // A node fenced while paused registers again before it serves; startInstances waits for that.
  await startInstances([node], context, options);
  return describeNode(node, context);
}

/**
 * Starts the node again with its data (after killBroker; a node still running is first stopped
 * cleanly), waits until it serves as a registered broker, then until it is back in the ISR of every
 * partition it replicates.
 */
export async function restartBroker(nodeId: number, options: FaultOptions = {}): Promise<BrokerProcess> {
  const context = serviceContext(options);
  const node = nodeById(context, nodeId);
  if ((await livePid(node, context.layout)) !== undefined)
    await stopInstance(node, context.layout, options.log);
  await startInstances([node], context, options);
  await waitUntilInSync(nodeId, { ...options, timeoutMs: options.inSyncTimeoutMs });
  return describeNode(node, context);
}

/**
 * Undoes every fault: resumes paused nodes, starts stopped ones, then waits until every node is in
 * the ISR of every partition it replicates. For a test's afterEach and the end of a chaos run.
 */
export async function healCluster(options: FaultOptions = {}): Promise<BrokerProcess[]> {
  const context = serviceContext(options);
  for (const node of context.kafka.nodes) {
    const pid = await livePid(node, context.layout);
    if (pid !== undefined && isProcessPaused(pid)) signalGroup(pid, "SIGCONT");
  }
  const external = (await brokers(options)).some((b) => b.state === BROKER_STATES.external);
  if (!external) await startInstances(context.kafka.nodes, context, options);
  for (const node of context.kafka.nodes) {
    await waitUntilInSync(node.nodeId, { ...options, timeoutMs: options.inSyncTimeoutMs });
  }
  return brokers(options);
}

function nodeById(context: ServiceContext, nodeId: number): KafkaNode {
  const node = context.kafka.nodes.find((n) => n.nodeId === nodeId);
  if (node === undefined) {
    throw new StackError(
      `there is no Kafka node ${nodeId}: this stack runs ${context.kafka.size} (node ids ` +
        `${context.kafka.nodes.map((n) => n.nodeId).join(", ")}); start more with --brokers 3`,
      { service: "kafka" },
    );
  }
  return node;
}

async function ourNode(context: ServiceContext, nodeId: number): Promise<{ node: KafkaNode; pid: number }> {
  const node = nodeById(context, nodeId);
  const pid = await livePid(node, context.layout);
  if (pid === undefined) {
    throw new StackError(
      `Kafka node ${nodeId} is not running from this checkout (no live pid in ${node.pidFile})`,
      {
        service: "kafka",
      },
    );
  }
  return { node, pid };
}

async function describeNode(node: KafkaNode, context: ServiceContext): Promise<BrokerProcess> {
  const pid = await livePid(node, context.layout);
  let state: BrokerState;
  if (pid !== undefined) state = isProcessPaused(pid) ? BROKER_STATES.paused : BROKER_STATES.running;
  else state = (await isPortOpen(LOOPBACK, node.port)) ? BROKER_STATES.external : BROKER_STATES.stopped;
  return {
    nodeId: node.nodeId,
    name: node.name,
    address: `${LOOPBACK}:${node.port}`,
    port: node.port,
    controllerPort: node.controllerPort,
    pid,
    state,
    logFile: node.logFile,
    dataDir: node.dataDir,
  };
}
