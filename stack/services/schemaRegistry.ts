/**
 * Apicurio Registry with in-memory storage (H2 in memory, its `prod` default): the Confluent Schema
 * Registry REST API on 127.0.0.1 at `/apis/ccompat/v7`, for Avro, Protobuf and JSON Schema subjects.
 * Schemas are gone when it stops, like a container started without a volume.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { LOCAL_SCHEMA_REGISTRY_PATH } from "../../functions/lib/config";
import { APICURIO_REGISTRY_VERSION, LOOPBACK } from "../constants";
import { StackError } from "../errors";
import { singleInstance } from "../layout";
import {
  ensureSchemaRegistryApp,
  SCHEMA_REGISTRY_RUNNER,
  schemaRegistryAppDir,
} from "../schemaRegistryBuild";
import type { LaunchContext, ServiceContext, ServiceDefinition, ServiceInstance } from "../types";

/**
 * 512 MiB: the registry settles at about 250 MB resident with a few hundred schemas; with three Kafka
 * nodes (512 MiB each), DynamoDB Local and S3Proxy the stack stays under 2.7 GiB of heap.
 */
export const SCHEMA_REGISTRY_HEAP = { initial: "128m", max: "512m" } as const;

/** The ccompat API's base URL on a port. */
export function schemaRegistryUrl(port: number): string {
  return `http://${LOOPBACK}:${port}${LOCAL_SCHEMA_REGISTRY_PATH}`;
}

export const schemaRegistryService: ServiceDefinition = {
  name: "schema-registry",
  title: `Apicurio Registry ${APICURIO_REGISTRY_VERSION} (in-memory, Confluent-compatible API)`,
  // Not fetched jar by jar: built once with Quarkus, see stack/schemaRegistryBuild.ts.
  artifacts: [],
  classDataSharing: true,
  // Quarkus stops in under a second; the rest is for writing the class archive at exit (seen ~15 s
  // on a busy two-core machine), which a SIGKILL would throw away.
  stopTimeoutMs: 30_000,
  instances: (context) => [singleInstance(context.layout, "schema-registry", context.ports.schemaRegistry)],

  async prepare(context: LaunchContext): Promise<void> {
    // Runs while the other services launch, so a first build overlaps Kafka's start.
    await ensureSchemaRegistryApp(context.layout);
    if (!existsSync(runnerJar(context))) {
      throw new StackError(
        `${runnerJar(context)} is missing; delete .stack/lib/schema-registry to build it again`,
        {
          service: "schema-registry",
        },
      );
    }
  },

  javaArgs(context: LaunchContext): string[] {
    return [
      context.marker,
      `-Xms${SCHEMA_REGISTRY_HEAP.initial}`,
      `-Xmx${SCHEMA_REGISTRY_HEAP.max}`,
      "-XX:+UseSerialGC",
      // C1 only, as for Kafka: start-up CPU matters on two cores, peak throughput does not.
      "-XX:TieredStopAtLevel=1",
      "-XX:+ExitOnOutOfMemoryError",
      "-Djava.awt.headless=true",
      `-Dquarkus.http.host=${LOOPBACK}`,
      `-Dquarkus.http.port=${context.instance.port}`,
      // The prod profile opens 20 H2 connections up front; one test client needs a few.
      "-Dquarkus.datasource.jdbc.initial-size=1",
      "-Dquarkus.datasource.jdbc.min-size=1",
      "-Dquarkus.banner.enabled=false",
      "-jar",
      runnerJar(context),
    ];
  },

  /** Lists subjects through the Confluent-compatible API: storage is up and the API is routed. */
  async probe(_context: ServiceContext, instance: ServiceInstance): Promise<void> {
    const response = await fetch(`${schemaRegistryUrl(instance.port)}/subjects`, {
      signal: AbortSignal.timeout(2_000),
    });
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok || !Array.isArray(body)) {
      throw new Error(`GET /subjects answered ${response.status} ${JSON.stringify(body)}`);
    }
  },
};

function runnerJar(context: LaunchContext): string {
  return join(schemaRegistryAppDir(context.layout), SCHEMA_REGISTRY_RUNNER);
}
