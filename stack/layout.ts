import { join, resolve } from "node:path";
import { DEFAULT_STACK_DIR } from "./constants";
import type { ServiceName, StackLayout, StackOptions } from "./types";

/**
 * Directory layout under `.stack/`: `lib/` holds the fetched jars (kept across `down`), `data/` the
 * broker log and S3 objects (kept across restarts so a stopped broker comes back with its topics),
 * `logs/` one file per service, `run/` pid files.
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
    dataDir: (service: ServiceName) => join(root, "data", service),
    confDir: (service: ServiceName) => join(root, "conf", service),
    logFile: (service: ServiceName) => join(logDir, `${service}.log`),
    pidFile: (service: ServiceName) => join(runDir, `${service}.pid`),
  };
}
