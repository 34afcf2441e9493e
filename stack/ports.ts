import { LOCAL_PORTS } from "../functions/lib/config";
import { ConfigError } from "../functions/lib/core/errors";
import type { StackPorts } from "./types";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Ports from the same variables `loadConfig` and `localSchemaRegistryUrl` read (KAFKA_PORT,
 * DYNAMODB_PORT, S3_PORT, SCHEMA_REGISTRY_PORT), so the stack listens where the functions' defaults
 * point. The KRaft controller takes KAFKA_CONTROLLER_PORT, or
 * the port after the broker's, so two stacks with different KAFKA_PORTs never collide.
 */
export function readStackPorts(env: Env = process.env): StackPorts {
  const kafka = readPort(env, "KAFKA_PORT", LOCAL_PORTS.kafka);
  const ports: StackPorts = {
    kafka,
    kafkaController: readPort(env, "KAFKA_CONTROLLER_PORT", kafka + 1),
    dynamodb: readPort(env, "DYNAMODB_PORT", LOCAL_PORTS.dynamodb),
    s3: readPort(env, "S3_PORT", LOCAL_PORTS.s3),
    schemaRegistry: readPort(env, "SCHEMA_REGISTRY_PORT", LOCAL_PORTS.schemaRegistry),
  };
  const seen = new Map<number, string>();
  for (const [name, port] of Object.entries(ports)) {
    const other = seen.get(port);
    if (other !== undefined) {
      throw new ConfigError(portVariable(name), `uses port ${port}, already taken by ${portVariable(other)}`);
    }
    seen.set(port, name);
  }
  return ports;
}

function readPort(env: Env, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a port number, got "${raw}"`);
  const port = Number(raw);
  if (port < 1 || port > 65_535) throw new ConfigError(name, `must be between 1 and 65535, got ${port}`);
  return port;
}

function portVariable(key: string): string {
  const names: Record<string, string> = {
    kafka: "KAFKA_PORT",
    kafkaController: "KAFKA_CONTROLLER_PORT",
    dynamodb: "DYNAMODB_PORT",
    s3: "S3_PORT",
    schemaRegistry: "SCHEMA_REGISTRY_PORT",
  };
  return names[key] ?? key;
}
