import type { Config } from "../functions/lib/config";
import type { MavenArtifact } from "./artifacts";
import type { SERVICE_NAMES } from "./constants";
import type { JavaTools } from "./tools";

export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Ports the local services listen on; read from the variables `functions/lib/config.ts` reads. */
export interface StackPorts {
  readonly kafka: number;
  /** KRaft controller listener; only the broker itself talks to it. */
  readonly kafkaController: number;
  readonly dynamodb: number;
  readonly s3: number;
}

/** Where the stack keeps jars, data, logs and pid files. */
export interface StackLayout {
  readonly root: string;
  readonly libDir: string;
  readonly runDir: string;
  readonly logDir: string;
  serviceLib(service: ServiceName): string;
  dataDir(service: ServiceName): string;
  confDir(service: ServiceName): string;
  logFile(service: ServiceName): string;
  pidFile(service: ServiceName): string;
}

/**
 * How a service came to be up:
 * - `started`: this call launched it;
 * - `running`: launched earlier from this checkout (pid file), reused;
 * - `external`: something else listens on the port and answers like the service (docker compose).
 */
export const SERVICE_ORIGINS = {
  started: "started",
  running: "running",
  external: "external",
} as const;
export type ServiceOrigin = (typeof SERVICE_ORIGINS)[keyof typeof SERVICE_ORIGINS];

export interface ServiceUp {
  readonly service: ServiceName;
  readonly origin: ServiceOrigin;
  readonly address: string;
  readonly pid: number | undefined;
  readonly logFile: string;
  readonly elapsedMs: number;
}

export interface ServiceStatus {
  readonly service: ServiceName;
  readonly title: string;
  readonly state: "running" | "external" | "stopped" | "unhealthy";
  readonly address: string;
  readonly pid: number | undefined;
  readonly logFile: string;
}

export interface StackOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Overrides STACK_DIR / the default `.stack/` directory. */
  readonly stackDir?: string;
  readonly timeoutMs?: number;
  /** Progress lines; silent when omitted. */
  readonly log?: (line: string) => void;
}

/** What a service needs to know about the stack it runs in. */
export interface ServiceContext {
  readonly layout: StackLayout;
  readonly ports: StackPorts;
  readonly config: Config;
}

export interface LaunchContext extends ServiceContext {
  readonly java: JavaTools;
  /** Added to the JVM's command line so its pid file can be trusted later. */
  readonly marker: string;
  readonly jarsDir: string;
}

/** One JVM service: what to fetch, how to configure and launch it, how to tell it is ready. */
export interface ServiceDefinition {
  readonly name: ServiceName;
  readonly title: string;
  readonly artifacts: readonly MavenArtifact[];
  /** SIGTERM grace before SIGKILL. */
  readonly stopTimeoutMs: number;
  /** Whether an AppCDS archive can be used: its class path must be jars only, no directories. */
  readonly classDataSharing: boolean;
  port(ports: StackPorts): number;
  /** Writes config files, formats storage, compiles launchers; idempotent and cheap when done. */
  prepare(context: LaunchContext): Promise<void>;
  /** Arguments after the `java` executable. */
  javaArgs(context: LaunchContext): string[];
  /** Resolves when the service answers a real request; throws otherwise. */
  probe(context: ServiceContext): Promise<void>;
}
