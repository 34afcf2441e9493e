/**
 * Lifecycle of the local stack: start (idempotent), stop (clean), status, and per-service stop/start
 * for fault-injection tests that take the broker (every Kafka node) away mid-run. One node at a time
 * is `stack/cluster/`'s business.
 */
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { forgetBrokerCount, recordBrokerCount, recordedBrokerCount } from "./brokerCount";
import { SERVICE_NAMES } from "./constants";
import { SERVICES, serviceContext } from "./context";
import { StackError } from "./errors";
import { type InstanceStopped, instanceStatus, livePid, startInstances, stopInstance } from "./instances";
import { isKafkaInstanceName } from "./kafkaCluster";
import { type ProvisionResult, provisionStack } from "./provision";
import { localTopology, type StackTopology } from "./topology";
import type {
  ServiceContext,
  ServiceName,
  ServiceStatus,
  ServiceUp,
  StackLayout,
  StackOptions,
} from "./types";

export { SERVICES };

export interface StartStackOptions extends StackOptions {
  /** Topics, buckets and tables to create; `false` skips provisioning. Defaults to localTopology(). */
  readonly topology?: StackTopology | false;
  /** The services to start. @default every service */
  readonly services?: readonly ServiceName[];
}

export interface StackStarted {
  readonly services: readonly ServiceUp[];
  readonly provisioned: ProvisionResult | undefined;
  /** `host:port` of every Kafka node: pass it as KAFKA_BROKERS. */
  readonly kafkaBrokers: readonly string[];
}

export interface ServiceStopped {
  readonly service: ServiceName;
  /** Over all the service's instances: `killed` if any needed SIGKILL, `not-running` if none ran. */
  readonly result: "terminated" | "killed" | "not-running";
  readonly instances: readonly InstanceStopped[];
}

/**
 * Starts every service that is not already up (every Kafka node of a cluster), waits until each
 * answers a real request, then provisions the topology. Services already running from this checkout,
 * or listening on their ports from elsewhere (docker compose), are reused as they are.
 *
 * @example
 * const { services, kafkaBrokers } = await startStack({ brokers: 3, log: console.log });
 */
export async function startStack(options: StartStackOptions = {}): Promise<StackStarted> {
  const context = serviceContext(options);
  const services = await startServices(options.services ?? SERVICE_NAMES, context, options);
  const topology = options.topology ?? localTopology(context.config);
  const kafkaBrokers = context.kafka.bootstrap;
  if (topology === false) return { services, provisioned: undefined, kafkaBrokers };
  const began = Date.now();
  const provisioned = await provisionStack(topology, context.config);
  options.log?.(`provisioned in ${((Date.now() - began) / 1000).toFixed(1)} s`);
  return { services, provisioned, kafkaBrokers };
}

/**
 * Starts one service (every node, for Kafka), keeping its data: a restarted broker still has its
 * topics and offsets. Returns the first instance's record (Kafka node 1).
 *
 * @example
 * await stopService("kafka");
 * // ...the pipeline sees the brokers disappear...
 * await startService("kafka");
 */
export async function startService(service: ServiceName, options: StackOptions = {}): Promise<ServiceUp> {
  const [up] = await startServices([service], serviceContext(options), options);
  if (up === undefined) throw new StackError(`${service} did not start`, { service });
  return up;
}

/** Stops every service this checkout started; data stays unless `purge` is set. */
export async function stopStack(
  options: StackOptions & { readonly services?: readonly ServiceName[]; readonly purge?: boolean } = {},
): Promise<ServiceStopped[]> {
  const names = options.services ?? SERVICE_NAMES;
  const stopped = await Promise.all(names.map((name) => stopService(name, options)));
  if (options.purge) {
    const { layout } = serviceContext(options);
    for (const name of names) {
      for (const dir of await serviceDirs(layout, name)) await rm(dir, { recursive: true, force: true });
    }
  }
  return stopped;
}

/**
 * Stops one service started from this checkout: every instance of it, each with SIGTERM to its
 * process group and SIGKILL after the service's grace period. For Kafka that is every node with a
 * live pid file, whatever cluster size it was started with. A service someone else runs (docker
 * compose) is left alone.
 */
export async function stopService(service: ServiceName, options: StackOptions = {}): Promise<ServiceStopped> {
  const context = serviceContext(options);
  const instances =
    service === "kafka" ? await kafkaPidInstances(context.layout) : SERVICES[service].instances(context);
  const results = await Promise.all(
    instances.map((instance) => stopInstance(instance, context.layout, options.log)),
  );
  if (service === "kafka") await forgetBrokerCount(context.layout);
  return { service, result: overall(results), instances: results };
}

/** Where each service (each Kafka node) listens and whether it answers. */
export async function stackStatus(options: StackOptions = {}): Promise<ServiceStatus[]> {
  const context = serviceContext(options);
  const instances = SERVICE_NAMES.flatMap((name) => SERVICES[name].instances(context));
  return Promise.all(instances.map((instance) => instanceStatus(instance, context)));
}

async function startServices(
  names: readonly ServiceName[],
  context: ServiceContext,
  options: StackOptions,
): Promise<ServiceUp[]> {
  if (names.includes("kafka")) await refuseOtherCluster(context);
  const instances = names.flatMap((name) => SERVICES[name].instances(context));
  const services = await startInstances(instances, context, options);
  if (names.includes("kafka")) await recordBrokerCount(context.layout, context.kafka.size);
  return services;
}

/**
 * One cluster per checkout: nodes of another size still running would hold node 1's ports and
 * answer for a cluster with other replication settings.
 */
async function refuseOtherCluster(context: ServiceContext): Promise<void> {
  const wanted = new Set(context.kafka.nodes.map((n) => n.name));
  const others = [];
  for (const instance of await kafkaPidInstances(context.layout)) {
    if (wanted.has(instance.name)) continue;
    if ((await livePid(instance, context.layout)) !== undefined) others.push(instance.name);
  }
  if (others.length === 0) return;
  const running = recordedBrokerCount(context.layout) ?? others.length;
  throw new StackError(
    `this checkout runs a ${running}-broker Kafka cluster (${others.join(", ")}); ask for ` +
      `--brokers ${running} (STACK_KAFKA_BROKERS=${running}), or stop it first with npm run stack:down`,
    { service: "kafka" },
  );
}

/** Every Kafka node with a pid file, from any cluster size: what `stack:down` must stop. */
async function kafkaPidInstances(layout: StackLayout) {
  const files = await readdir(layout.runDir).catch(() => [] as string[]);
  return files
    .filter((file) => file.endsWith(".pid") && isKafkaInstanceName(file.slice(0, -".pid".length)))
    .map((file) => {
      const name = file.slice(0, -".pid".length);
      return {
        service: "kafka" as const,
        name,
        pidFile: layout.pidFile(name),
        // Only node 1 (named `kafka` alone, `kafka-1` in a cluster) writes the class archive.
        writesClassArchive: name === "kafka" || name === "kafka-1",
      };
    });
}

async function serviceDirs(layout: StackLayout, service: ServiceName): Promise<string[]> {
  const dirs = [layout.dataDir(service), layout.confDir(service)];
  if (service !== "kafka") return dirs;
  // Each cluster size keeps its nodes under kafka-cluster-<size>/.
  for (const parent of [layout.dataDir(""), layout.confDir("")]) {
    const entries = await readdir(parent).catch(() => [] as string[]);
    dirs.push(...entries.filter((e) => e.startsWith("kafka-cluster-")).map((e) => join(parent, e)));
  }
  return dirs;
}

function overall(results: readonly InstanceStopped[]): ServiceStopped["result"] {
  if (results.some((r) => r.result === "killed")) return "killed";
  if (results.some((r) => r.result === "terminated")) return "terminated";
  return "not-running";
}
