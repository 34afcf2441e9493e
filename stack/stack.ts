/**
 * Lifecycle of the local stack: start (idempotent), stop (clean), status, and per-service stop/start
 * for fault-injection tests that take the broker away mid-run.
 */
import { rm } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { loadConfig } from "../functions/lib/config";
import { fetchArtifacts, jarsDir, staleArtifacts } from "./artifacts";
import { classDataSharingArgs, settleClassDataArchive } from "./classDataSharing";
import { DEFAULT_START_TIMEOUT_MS, LOOPBACK, PROCESS_MARKER, SERVICE_NAMES } from "./constants";
import { ServiceStartError, StackError } from "./errors";
import { stackLayout } from "./layout";
import { withStackLock } from "./lock";
import { readStackPorts } from "./ports";
import {
  errorLines,
  isPortOpen,
  isProcessAlive,
  launchDetached,
  readLivePid,
  removePidFile,
  stopProcessGroup,
  tailFile,
} from "./processes";
import { type ProvisionResult, provisionStack } from "./provision";
import { dynamoDbService, kafkaService, s3Service } from "./services";
import { findJava, findMaven, type JavaTools } from "./tools";
import { localTopology, type StackTopology } from "./topology";
import {
  type LaunchContext,
  SERVICE_ORIGINS,
  type ServiceContext,
  type ServiceDefinition,
  type ServiceName,
  type ServiceStatus,
  type ServiceUp,
  type StackOptions,
} from "./types";

export const SERVICES: Readonly<Record<ServiceName, ServiceDefinition>> = {
  kafka: kafkaService,
  dynamodb: dynamoDbService,
  s3: s3Service,
};

export interface StartStackOptions extends StackOptions {
  /** Topics, buckets and tables to create; `false` skips provisioning. Defaults to localTopology(). */
  readonly topology?: StackTopology | false;
}

export interface StackStarted {
  readonly services: readonly ServiceUp[];
  readonly provisioned: ProvisionResult | undefined;
}

export interface ServiceStopped {
  readonly service: ServiceName;
  readonly result: "terminated" | "killed" | "not-running";
}

/**
 * Starts every service that is not already up, waits until each answers a real request, then
 * provisions the topology. Services already running from this checkout, or listening on the port
 * from elsewhere (docker compose), are reused as they are.
 *
 * @example
 * const { services } = await startStack({ log: console.log });
 */
export async function startStack(options: StartStackOptions = {}): Promise<StackStarted> {
  const services = await startServices(SERVICE_NAMES, options);
  const context = serviceContext(options);
  const topology = options.topology ?? localTopology(context.config);
  if (topology === false) return { services, provisioned: undefined };
  const began = Date.now();
  const provisioned = await provisionStack(topology, context.config);
  options.log?.(`provisioned in ${((Date.now() - began) / 1000).toFixed(1)} s`);
  return { services, provisioned };
}

/**
 * Starts one service, keeping its data (a restarted broker still has its topics and offsets).
 *
 * @example
 * await stopService("kafka");
 * // ...the pipeline sees the broker disappear...
 * await startService("kafka");
 */
export async function startService(service: ServiceName, options: StackOptions = {}): Promise<ServiceUp> {
  const [up] = await startServices([service], options);
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
    const layout = stackLayout(options);
    for (const name of names) {
      await rm(layout.dataDir(name), { recursive: true, force: true });
      await rm(layout.confDir(name), { recursive: true, force: true });
    }
  }
  return stopped;
}

/**
 * Stops one service started from this checkout: SIGTERM to its process group, SIGKILL after the
 * service's grace period. A service someone else runs (docker compose) is left alone.
 */
export async function stopService(service: ServiceName, options: StackOptions = {}): Promise<ServiceStopped> {
  const layout = stackLayout(options);
  const definition = SERVICES[service];
  const pidFile = layout.pidFile(service);
  const pid = await readLivePid(pidFile, markerOf(layout.root, service));
  if (pid === undefined) {
    await removePidFile(pidFile);
    return { service, result: "not-running" };
  }
  options.log?.(`stopping ${service} (pid ${pid})`);
  const result = await stopProcessGroup(pid, definition.stopTimeoutMs);
  await removePidFile(pidFile);
  await settleClassDataArchive(layout, service, result === "terminated");
  return { service, result };
}

/** Where each service listens and whether it answers. */
export async function stackStatus(options: StackOptions = {}): Promise<ServiceStatus[]> {
  const context = serviceContext(options);
  return Promise.all(
    SERVICE_NAMES.map(async (name): Promise<ServiceStatus> => {
      const definition = SERVICES[name];
      const port = definition.port(context.ports);
      const pid = await readLivePid(context.layout.pidFile(name), markerOf(context.layout.root, name));
      const base = {
        service: name,
        title: definition.title,
        address: `${LOOPBACK}:${port}`,
        pid,
        logFile: context.layout.logFile(name),
      };
      if (pid === undefined && !(await isPortOpen(LOOPBACK, port))) return { ...base, state: "stopped" };
      const healthy = await definition.probe(context).then(
        () => true,
        () => false,
      );
      if (!healthy) return { ...base, state: "unhealthy" };
      return { ...base, state: pid === undefined ? "external" : "running" };
    }),
  );
}

async function startServices(names: readonly ServiceName[], options: StackOptions): Promise<ServiceUp[]> {
  const context = serviceContext(options);
  const timeoutMs = options.timeoutMs ?? readTimeout(options.env ?? process.env);
  const log = options.log ?? (() => undefined);
  return withStackLock(context.layout, timeoutMs, async () => {
    const began = Date.now();
    const found = await Promise.all(names.map((name) => findRunning(SERVICES[name], context)));
    const toStart = names.filter((_, i) => found[i] === undefined).map((name) => SERVICES[name]);

    let launched: { definition: ServiceDefinition; pid: number }[] = [];
    if (toStart.length > 0) {
      const java = findJava(options.env);
      const stale = await staleArtifacts(
        context.layout,
        toStart.map((d) => ({ service: d.name, artifacts: d.artifacts })),
      );
      if (stale.length > 0) {
        const mvn = findMaven(options.env);
        log(`fetching jars for ${stale.map((s) => s.service).join(", ")} with Maven (first start only)`);
        await fetchArtifacts(context.layout, stale, mvn);
      }
      const launches = await Promise.allSettled(
        toStart.map(async (definition) => {
          const launch = launchContext(definition, context, java);
          await definition.prepare(launch);
          const sharing = definition.classDataSharing
            ? await classDataSharingArgs(
                context.layout,
                definition.name,
                java,
                !isCi(options.env ?? process.env),
              )
            : [];
          const pid = await launchDetached({
            command: java.java,
            args: [...sharing, ...definition.javaArgs(launch)],
            cwd: context.layout.root,
            logFile: context.layout.logFile(definition.name),
            pidFile: context.layout.pidFile(definition.name),
          });
          log(`started ${definition.name} (pid ${pid}), waiting until it answers`);
          return { definition, pid };
        }),
      );
      launched = launches.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
      const launchFailure = launches.find((r) => r.status === "rejected");
      if (launchFailure !== undefined) {
        await Promise.all(launched.map(({ definition }) => stopService(definition.name, options)));
        throw launchFailure.reason;
      }
    }

    const deadline = Date.now() + timeoutMs;
    const results = await Promise.allSettled(
      launched.map(async ({ definition, pid }) => {
        await waitUntilReady(definition, context, pid, deadline);
        log(`${definition.name} answers after ${((Date.now() - began) / 1000).toFixed(1)} s`);
      }),
    );
    const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
    if (failures.length > 0) {
      // Stop the ones we launched: a half-started stack is worse than none, and the ports must be free.
      await Promise.all(launched.map(({ definition }) => stopService(definition.name, options)));
      throw failures[0];
    }

    const elapsedMs = Date.now() - began;
    return names.map((name, i): ServiceUp => {
      const ours = launched.find((l) => l.definition.name === name);
      const address = `${LOOPBACK}:${SERVICES[name].port(context.ports)}`;
      const logFile = context.layout.logFile(name);
      if (ours !== undefined) {
        return { service: name, origin: SERVICE_ORIGINS.started, address, pid: ours.pid, logFile, elapsedMs };
      }
      const pid = found[i];
      return {
        service: name,
        origin: pid === "external" ? SERVICE_ORIGINS.external : SERVICE_ORIGINS.running,
        address,
        pid: pid === "external" ? undefined : pid,
        logFile,
        elapsedMs,
      };
    });
  });
}

/**
 * A live pid from our pid file, "external" when something else answers like the service on its port,
 * undefined when the service must be started.
 */
async function findRunning(
  definition: ServiceDefinition,
  context: ServiceContext,
): Promise<number | "external" | undefined> {
  const { layout } = context;
  const pid = await readLivePid(layout.pidFile(definition.name), markerOf(layout.root, definition.name));
  const port = definition.port(context.ports);
  if (pid !== undefined) {
    // Ours, maybe still starting: give it the usual start budget.
    await waitUntilReady(definition, context, pid, Date.now() + DEFAULT_START_TIMEOUT_MS);
    return pid;
  }
  await removePidFile(layout.pidFile(definition.name));
  if (!(await isPortOpen(LOOPBACK, port))) return undefined;
  // Something listens: a compose container may still be starting, so allow it a few seconds.
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await definition.probe(context);
      return "external";
    } catch (error) {
      if (Date.now() > deadline) {
        throw new StackError(
          `${definition.name}: port ${port} is in use by a process that does not answer like ` +
            `${definition.title} (${describe(error)}); stop it or set ${portVariable(definition.name)}`,
          { service: definition.name, cause: error },
        );
      }
      await sleep(500);
    }
  }
}

async function waitUntilReady(
  definition: ServiceDefinition,
  context: ServiceContext,
  pid: number,
  deadline: number,
): Promise<void> {
  const logFile = context.layout.logFile(definition.name);
  let lastError: unknown;
  for (;;) {
    try {
      await definition.probe(context);
      return;
    } catch (error) {
      lastError = error;
    }
    if (!isProcessAlive(pid)) {
      throw new ServiceStartError(
        definition.name,
        "exited while starting",
        logFile,
        await tailFile(logFile, 20),
        await errorLines(logFile),
      );
    }
    if (Date.now() > deadline) {
      throw new ServiceStartError(
        definition.name,
        `did not answer within the start timeout (last error: ${describe(lastError)})`,
        logFile,
        await tailFile(logFile, 20),
        await errorLines(logFile),
      );
    }
    await sleep(250);
  }
}

function serviceContext(options: StackOptions): ServiceContext {
  const env = options.env ?? process.env;
  return { layout: stackLayout(options), ports: readStackPorts(env), config: loadConfig(env) };
}

function launchContext(
  definition: ServiceDefinition,
  context: ServiceContext,
  java: JavaTools,
): LaunchContext {
  return {
    ...context,
    java,
    marker: markerOf(context.layout.root, definition.name),
    jarsDir: jarsDir(context.layout, definition.name),
  };
}

/** Unique per checkout and service, so two clones on one machine never stop each other's JVMs. */
function markerOf(root: string, service: ServiceName): string {
  return `${PROCESS_MARKER}=${root}#${service}`;
}

function readTimeout(env: Readonly<Record<string, string | undefined>>): number {
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

function portVariable(service: ServiceName): string {
  return { kafka: "KAFKA_PORT", dynamodb: "DYNAMODB_PORT", s3: "S3_PORT" }[service];
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
