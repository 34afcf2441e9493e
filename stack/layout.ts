import { join, resolve } from "node:path";
import { DEFAULT_STACK_DIR } from "./constants";
import type { ServiceInstance, ServiceName, StackLayout, StackOptions } from "./types";

/**
 * Directory layout under `.stack/`: `lib/` holds the fetched jars (kept across `down`), `data/` the
 * broker logs and S3 objects (kept across restarts so a stopped broker comes back with its topics),
 * `logs/` one file per service or Kafka node, `run/` pid files.
 */
export function stackLayout(options: Pick<StackOptions, "env" | "stackDir"> = {}): StackLayout {
  const env = options.env ?? process.env;
  const root = resolve(options.stackDir ?? (env.STACK_DIR?.trim() || DEFAULT_STACK_DIR));
  const libDir = join(root, "lib");
  const runDir = join(root, "run");
  const logDir = join(root, "logs");
  return {
    root,
    libDir,
    runDir,
    logDir,
    serviceLib: (service: ServiceName) => join(libDir, service),
    dataDir: (name: string) => join(root, "data", name),
    confDir: (name: string) => join(root, "conf", name),
    logFile: (name: string) => join(logDir, `${name}.log`),
    pidFile: (name: string) => join(runDir, `${name}.pid`),
  };
}

/** The one process of a service that runs a single JVM (DynamoDB Local, S3Proxy). */
export function singleInstance(layout: StackLayout, service: ServiceName, port: number): ServiceInstance {
  return {
    service,
    name: service,
    port,
    dataDir: layout.dataDir(service),
    confDir: layout.confDir(service),
    logFile: layout.logFile(service),
    pidFile: layout.pidFile(service),
    nodeId: undefined,
    writesClassArchive: true,
  };
}
