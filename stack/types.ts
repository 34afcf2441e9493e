import type { Config } from "../functions/lib/config";
import type { MavenArtifact } from "./artifacts";
import type { SERVICE_NAMES } from "./constants";
import type { KafkaCluster } from "./kafkaCluster";
import type { JavaTools } from "./tools";

export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Ports the local services listen on; read from the variables `functions/lib/config.ts` reads. */
export interface StackPorts {
  readonly kafka: number;
  /** KRaft controller listener; only the broker itself talks to it. */
  readonly kafkaController: number;
  readonly dynamodb: number;
  readonly s3: number;
  /** Apicurio Registry: the Confluent-compatible schema registry API. */
  readonly schemaRegistry: number;
}

/**
 * Where the stack keeps jars, data, logs and pid files. `name` is a service or one of its instances
 * (`kafka-2`, a node of a Kafka cluster); a path with `/` nests (`kafka-cluster-3/node-2`).
 */
export interface StackLayout {
  readonly root: string;
  readonly libDir: string;
  readonly runDir: string;
  readonly logDir: string;
  serviceLib(service: ServiceName): string;
  dataDir(name: string): string;
  confDir(name: string): string;
  logFile(name: string): string;
  pidFile(name: string): string;
}

/**
 * One process of a service: DynamoDB Local and S3Proxy have one, Kafka one per node. Its name keys
 * its pid file, log and command-line marker, so each node is started, found and stopped alone.
 */
export interface ServiceInstance {
  readonly service: ServiceName;
  /** The service's name for a single process, `kafka-<nodeId>` for a node of a cluster. */
  readonly name: string;
  readonly port: number;
  readonly dataDir: string;
  readonly confDir: string;
  readonly logFile: string;
  readonly pidFile: string;
  /** The KRaft node id of a Kafka instance. */
  readonly nodeId: number | undefined;
  /**
   * Whether this instance may write the service's AppCDS archive at exit: the nodes of a cluster
   * share one archive, and two JVMs writing one file would leave it corrupt.
   */
  readonly writesClassArchive: boolean;
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
  /** `kafka-2` for a node of a cluster, else the service's name. */
  readonly instance: string;
  readonly nodeId: number | undefined;
  readonly origin: ServiceOrigin;
  readonly address: string;
  readonly pid: number | undefined;
  readonly logFile: string;
  readonly elapsedMs: number;
}

export interface ServiceStatus {
  readonly service: ServiceName;
  readonly instance: string;
  readonly nodeId: number | undefined;
  readonly title: string;
  /** `paused`: the process is stopped by SIGSTOP (a fault injected with pauseBroker). */
  readonly state: "running" | "external" | "stopped" | "unhealthy" | "paused";
  readonly address: string;
  readonly pid: number | undefined;
  readonly logFile: string;
}

export interface StackOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Overrides STACK_DIR / the default `.stack/` directory. */
  readonly stackDir?: string;
  readonly timeoutMs?: number;
  /**
   * Kafka nodes to run (1 to 3); overrides STACK_KAFKA_BROKERS. Without either, the count a running
   * cluster of this checkout was started with, else 1.
   */
  readonly brokers?: number;
  /** Progress lines; silent when omitted. */
  readonly log?: (line: string) => void;
}

/** What a service needs to know about the stack it runs in. */
export interface ServiceContext {
  readonly layout: StackLayout;
  readonly ports: StackPorts;
  /** The functions' configuration, its KAFKA_BROKERS defaulting to every node of the cluster. */
  readonly config: Config;
  /** The Kafka nodes this stack runs: one, or a cluster. */
  readonly kafka: KafkaCluster;
}

export interface LaunchContext extends ServiceContext {
  readonly instance: ServiceInstance;
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
  /** The processes to run, each with its own port, data directory, log and pid file. */
  instances(context: ServiceContext): readonly ServiceInstance[];
  /** Writes config files, formats storage, compiles launchers; idempotent and cheap when done. */
  prepare(context: LaunchContext): Promise<void>;
  /** Arguments after the `java` executable. */
  javaArgs(context: LaunchContext): string[];
  /** Resolves when the instance answers a real request; throws otherwise. */
  probe(context: ServiceContext, instance: ServiceInstance): Promise<void>;
}
