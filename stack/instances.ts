/**
 * Starting, finding and stopping the stack's processes one instance at a time: a service's single
 * JVM, or one node of the Kafka cluster, so a fault can take one broker away and bring it back while
 * the others keep serving.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { fetchArtifacts, jarsDir, staleArtifacts } from "./artifacts";
import { classDataSharingArgs, settleClassDataArchive } from "./classDataSharing";
import { DEFAULT_START_TIMEOUT_MS, LOOPBACK, PROCESS_MARKER } from "./constants";
import { SERVICES } from "./context";
import { ServiceStartError, StackError } from "./errors";
import { withStackLock } from "./lock";
import {
  errorLines,
  isPortOpen,
  isProcessAlive,
  isProcessPaused,
  launchDetached,
  readLivePid,
  removePidFile,
  stopProcessGroup,
  tailFile,
} from "./processes";
import { findJava, findMaven } from "./tools";
import {
  type LaunchContext,
  SERVICE_ORIGINS,
  type ServiceContext,
  type ServiceInstance,
  type ServiceStatus,
  type ServiceUp,
  type StackLayout,
  type StackOptions,
} from "./types";

export interface InstanceStopped {
  readonly instance: string;
  readonly result: "terminated" | "killed" | "not-running";
}

/**
 * Starts the instances that are not already up, holding the stack's lock, and waits until each
 * answers a real request. One already running from this checkout, or answering on its port from
 * elsewhere (docker compose), is reused. When one fails, the ones launched here are stopped again:
 * a half-started stack is worse than none, and the ports must be free.
 */
export async function startInstances(
  instances: readonly ServiceInstance[],
  context: ServiceContext,
  options: StackOptions,
): Promise<ServiceUp[]> {
  const env = options.env ?? process.env;
  const timeoutMs = options.timeoutMs ?? readStartTimeout(env);
  const log = options.log ?? (() => undefined);
  const { layout } = context;
  return withStackLock(layout, timeoutMs, async () => {
    const began = Date.now();
    const found = await Promise.all(instances.map((instance) => findRunning(instance, context)));
    const toStart = instances.filter((_, i) => found[i] === undefined);

    let launched: { instance: ServiceInstance; pid: number }[] = [];
    if (toStart.length > 0) {
      const java = findJava(env);
      const services = [...new Set(toStart.map((i) => i.service))].map((name) => SERVICES[name]);
      // A service without artifacts builds its own in prepare() (the schema registry).
      const stale = await staleArtifacts(
        layout,
        services
          .filter((d) => d.artifacts.length > 0)
          .map((d) => ({ service: d.name, artifacts: d.artifacts })),
      );
      if (stale.length > 0) {
        const mvn = findMaven(env);
        log(`fetching jars for ${stale.map((s) => s.service).join(", ")} with Maven (first start only)`);
        await fetchArtifacts(layout, stale, mvn);
      }
      const launches = await Promise.allSettled(
        toStart.map(async (instance) => {
          const definition = SERVICES[instance.service];
          const launch: LaunchContext = {
            ...context,
            instance,
            java,
            marker: markerOf(layout.root, instance.name),
            jarsDir: jarsDir(layout, instance.service),
          };
          await definition.prepare(launch);
          const sharing = definition.classDataSharing
            ? await classDataSharingArgs(
                layout,
                instance.service,
                java,
                instance.writesClassArchive && !isCi(env),
              )
            : [];
          const pid = await launchDetached({
            command: java.java,
            args: [...sharing, ...definition.javaArgs(launch)],
            cwd: layout.root,
            logFile: instance.logFile,
            pidFile: instance.pidFile,
          });
          log(`started ${instance.name} (pid ${pid}), waiting until it answers`);
          return { instance, pid };
        }),
      );
      launched = launches.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
      const launchFailure = launches.find((r) => r.status === "rejected");
      if (launchFailure !== undefined) {
        await Promise.all(launched.map(({ instance }) => stopInstance(instance, layout)));
        throw launchFailure.reason;
      }
    }

    const deadline = Date.now() + timeoutMs;
    const results = await Promise.allSettled(
      launched.map(async ({ instance, pid }) => {
        await waitUntilReady(instance, context, pid, deadline);
        log(`${instance.name} answers after ${((Date.now() - began) / 1000).toFixed(1)} s`);
      }),
    );
    const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
    if (failures.length > 0) {
      await Promise.all(launched.map(({ instance }) => stopInstance(instance, layout)));
      throw failures[0];
    }

    const elapsedMs = Date.now() - began;
    return instances.map((instance, i): ServiceUp => {
      const ours = launched.find((l) => l.instance.name === instance.name);
      const base = {
        service: instance.service,
        instance: instance.name,
        nodeId: instance.nodeId,
        address: `${LOOPBACK}:${instance.port}`,
        logFile: instance.logFile,
        elapsedMs,
      };
      if (ours !== undefined) return { ...base, origin: SERVICE_ORIGINS.started, pid: ours.pid };
      const pid = found[i];
      return pid === "external"
        ? { ...base, origin: SERVICE_ORIGINS.external, pid: undefined }
        : { ...base, origin: SERVICE_ORIGINS.running, pid };
    });
  });
}

/**
 * Stops one instance started from this checkout: SIGTERM to its process group, SIGKILL after the
 * service's grace period. Something someone else runs (docker compose) is left alone.
 */
export async function stopInstance(
  instance: Pick<ServiceInstance, "service" | "name" | "pidFile" | "writesClassArchive">,
  layout: StackLayout,
  log?: (line: string) => void,
): Promise<InstanceStopped> {
  const pid = await readLivePid(instance.pidFile, markerOf(layout.root, instance.name));
  if (pid === undefined) {
    await removePidFile(instance.pidFile);
    return { instance: instance.name, result: "not-running" };
  }
  log?.(`stopping ${instance.name} (pid ${pid})`);
  const result = await stopProcessGroup(pid, SERVICES[instance.service].stopTimeoutMs);
  await removePidFile(instance.pidFile);
  if (instance.writesClassArchive) {
    await settleClassDataArchive(layout, instance.service, result === "terminated");
  }
  return { instance: instance.name, result };
}

/** Where the instance listens and whether it answers. */
export async function instanceStatus(
  instance: ServiceInstance,
  context: ServiceContext,
): Promise<ServiceStatus> {
  const definition = SERVICES[instance.service];
  const pid = await livePid(instance, context.layout);
  const base = {
    service: instance.service,
    instance: instance.name,
    nodeId: instance.nodeId,
    title: definition.title,
    address: `${LOOPBACK}:${instance.port}`,
    pid,
    logFile: instance.logFile,
  };
  if (pid !== undefined && isProcessPaused(pid)) return { ...base, state: "paused" };
  if (pid === undefined && !(await isPortOpen(LOOPBACK, instance.port))) return { ...base, state: "stopped" };
  const healthy = await definition.probe(context, instance).then(
    () => true,
    () => false,
  );
  if (!healthy) return { ...base, state: "unhealthy" };
  return { ...base, state: pid === undefined ? "external" : "running" };
}

/** The pid of the instance's JVM when it is alive and ours. */
export function livePid(instance: Pick<ServiceInstance, "name" | "pidFile">, layout: StackLayout) {
  return readLivePid(instance.pidFile, markerOf(layout.root, instance.name));
}

/** Unique per checkout and instance, so two clones on one machine never stop each other's JVMs. */
export function markerOf(root: string, name: string): string {
  return `${PROCESS_MARKER}=${root}#${name}`;
}

/**
 * A live pid from our pid file, "external" when something else answers like the service on its port,
 * undefined when the instance must be started.
 */
async function findRunning(
  instance: ServiceInstance,
  context: ServiceContext,
): Promise<number | "external" | undefined> {
  const definition = SERVICES[instance.service];
  const pid = await livePid(instance, context.layout);
  if (pid !== undefined) {
    if (isProcessPaused(pid)) {
      throw new StackError(
        `${instance.name} (pid ${pid}) is paused by a fault; resume it (npm run stack:fault -- resume ${instance.nodeId ?? ""}) first`,
        { service: instance.service },
      );
    }
    // Ours, maybe still starting: give it the usual start budget.
    await waitUntilReady(instance, context, pid, Date.now() + DEFAULT_START_TIMEOUT_MS);
    return pid;
  }
  await removePidFile(instance.pidFile);
  if (!(await isPortOpen(LOOPBACK, instance.port))) return undefined;
  // Something listens: a compose container may still be starting, so allow it a few seconds.
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await definition.probe(context, instance);
      return "external";
    } catch (error) {
      if (Date.now() > deadline) {
        throw new StackError(
          `${instance.name}: port ${instance.port} is in use by a process that does not answer like ` +
            `${definition.title} (${describe(error)}); stop it or set ${portVariable(instance)}`,
          { service: instance.service, cause: error },
        );
      }
      await sleep(500);
    }
  }
}

async function waitUntilReady(
  instance: ServiceInstance,
  context: ServiceContext,
  pid: number,
  deadline: number,
): Promise<void> {
  const definition = SERVICES[instance.service];
  let lastError: unknown;
  for (;;) {
    try {
      await definition.probe(context, instance);
      return;
    } catch (error) {
      lastError = error;
    }
    if (!isProcessAlive(pid)) {
      throw new ServiceStartError(
        instance.service,
        `${instanceLabel(instance)}exited while starting`,
        instance.logFile,
        await tailFile(instance.logFile, 20),
        await errorLines(instance.logFile),
      );
    }
    if (Date.now() > deadline) {
      throw new ServiceStartError(
        instance.service,
        `${instanceLabel(instance)}did not answer within the start timeout (last error: ${describe(lastError)})`,
        instance.logFile,
        await tailFile(instance.logFile, 20),
        await errorLines(instance.logFile),
      );
    }
    await sleep(250);
  }
}

function instanceLabel(instance: ServiceInstance): string {
  return instance.nodeId === undefined || instance.name === instance.service
    ? ""
    : `node ${instance.nodeId} `;
}

function readStartTimeout(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.STACK_START_TIMEOUT_MS?.trim();
  if (raw === undefined || raw === "") return DEFAULT_START_TIMEOUT_MS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1_000) {
    throw new StackError(`STACK_START_TIMEOUT_MS must be an integer of at least 1000, got "${raw}"`);
  }
  return value;
}

function isCi(env: Readonly<Record<string, string | undefined>>): boolean {
  const value = env.CI?.trim().toLowerCase();
  return value !== undefined && value !== "" && value !== "false" && value !== "0";
}

function portVariable(instance: ServiceInstance): string {
  if (instance.service === "kafka" && (instance.nodeId ?? 1) > 1)
    return "KAFKA_PORT (or stop the other cluster)";
  const variables: Record<ServiceInstance["service"], string> = {
    kafka: "KAFKA_PORT",
    dynamodb: "DYNAMODB_PORT",
    s3: "S3_PORT",
    "schema-registry": "SCHEMA_REGISTRY_PORT",
  };
  return variables[instance.service];
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
