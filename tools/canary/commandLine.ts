/**
 * The `canary` command line, parsed without touching the network so every mistake is one line naming
 * the flag (exit 2).
 */
import { parseArgs } from "node:util";
import { FAILURE_KEY_NAMES, type FailureKeyName } from "../../functions/lib/config";
import { CanaryUsageError } from "./errors";

/** Which deployment to prove. */
export type CanarySource =
  | { readonly kind: "stack"; readonly stack: string }
  | { readonly kind: "outputs"; readonly file: string; readonly stack: string | undefined }
  | { readonly kind: "local"; readonly topic: string };

export interface CanaryCommand {
  readonly source: CanarySource;
  /** Kafka flags as the variables of functions/lib/config.ts they override (KAFKA_BROKERS, ...). */
  readonly kafkaVariables: Readonly<Record<string, string>>;
  readonly region: string | undefined;
  readonly waitMs: number;
  /** --local: the item identifier key the emulated mapping reads; undefined = the function's key. */
  readonly itemIdentifierKey: FailureKeyName | undefined;
  readonly keep: boolean;
  readonly functionLogs: boolean;
}

export type CanaryCommandLine = { readonly help: true } | ({ readonly help: false } & CanaryCommand);

export const DEFAULT_LOCAL_TOPIC = "local.canary";
const KAFKA_AUTH_MODES = ["none", "iam", "scram-sha-256", "scram-sha-512"];

/** Kafka flags and the configuration variables they set. */
const KAFKA_FLAGS: Readonly<Record<string, string>> = {
  brokers: "KAFKA_BROKERS",
  auth: "KAFKA_AUTH",
  "sasl-secret-arn": "KAFKA_SASL_SECRET_ARN",
  "sasl-username": "KAFKA_SASL_USERNAME",
  "sasl-password": "KAFKA_SASL_PASSWORD",
  "tls-secret-arn": "KAFKA_TLS_SECRET_ARN",
  "ca-secret-arn": "KAFKA_CA_SECRET_ARN",
};

/**
 * @throws {CanaryUsageError} for an unknown, conflicting or malformed flag.
 *
 * @example
 * parseCanaryCommandLine(["--stack", "KafkaLambdaPipeline", "--region", "eu-west-1"]);
 */
export function parseCanaryCommandLine(argv: readonly string[]): CanaryCommandLine {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: {
        stack: { type: "string" },
        outputs: { type: "string" },
        local: { type: "boolean" },
        topic: { type: "string" },
        region: { type: "string" },
        ssl: { type: "boolean" },
        ...Object.fromEntries(Object.keys(KAFKA_FLAGS).map((flag) => [flag, { type: "string" as const }])),
        "wait-s": { type: "string" },
        keep: { type: "boolean" },
        "item-identifier-key": { type: "string" },
        "function-logs": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new CanaryUsageError(firstLine(error));
  }
  if (values.help === true) return { help: true };
  if (positionals.length > 0)
    throw new CanaryUsageError(`takes no arguments, got "${positionals.join(" ")}"`);

  const text = (name: string) => (typeof values[name] === "string" ? (values[name] as string) : undefined);
  const local = values.local === true;
  const source = sourceOf(local, text("stack"), text("outputs"), text("topic"));
  for (const flag of ["topic", "item-identifier-key", "function-logs"]) {
    if (!local && values[flag] !== undefined) throw new CanaryUsageError(`--${flag} goes with --local only`);
  }

  const kafkaVariables: Record<string, string> = {};
  for (const [flag, variable] of Object.entries(KAFKA_FLAGS)) {
    const value = text(flag);
    if (value !== undefined) kafkaVariables[variable] = value;
  }
  if (values.ssl === true) kafkaVariables.KAFKA_SSL = "true";
  const auth = kafkaVariables.KAFKA_AUTH;
  if (auth !== undefined && !KAFKA_AUTH_MODES.includes(auth)) {
    throw new CanaryUsageError(`--auth must be one of ${KAFKA_AUTH_MODES.join(", ")}, got "${auth}"`);
  }
  const key = text("item-identifier-key");
  if (key !== undefined && !(FAILURE_KEY_NAMES as readonly string[]).includes(key)) {
    throw new CanaryUsageError(
      `--item-identifier-key must be one of ${FAILURE_KEY_NAMES.join(", ")}, got "${key}"`,
    );
  }
  return {
    help: false,
    source,
    kafkaVariables,
    region: text("region"),
    waitMs: waitSeconds(text("wait-s"), local ? 60 : 120) * 1000,
    itemIdentifierKey: key as FailureKeyName | undefined,
    keep: values.keep === true,
    functionLogs: values["function-logs"] === true,
  };
}

function sourceOf(
  local: boolean,
  stack: string | undefined,
  outputs: string | undefined,
  topic: string | undefined,
): CanarySource {
  if (local) {
    if (stack !== undefined || outputs !== undefined) {
      throw new CanaryUsageError("--local proves the local stack: leave out --stack and --outputs");
    }
    const name = topic ?? DEFAULT_LOCAL_TOPIC;
    if (!/^[a-zA-Z0-9._-]{1,245}$/.test(name)) {
      throw new CanaryUsageError(
        `--topic must be a Kafka topic name of at most 245 characters, got "${name}"`,
      );
    }
    return { kind: "local", topic: name };
  }
  if (outputs !== undefined) return { kind: "outputs", file: outputs, stack };
  if (stack !== undefined) return { kind: "stack", stack };
  throw new CanaryUsageError(
    "name the deployment: --stack <name> (its CloudFormation outputs), --outputs <cdk outputs file>, or --local",
  );
}

function waitSeconds(raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const seconds = Number(raw);
  if (!/^\d+$/.test(raw) || seconds < 5 || seconds > 900) {
    throw new CanaryUsageError(`--wait-s must be whole seconds from 5 to 900, got "${raw}"`);
  }
  return seconds;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split("\n")[0] ?? message).replace(/\. To specify a positional argument.*$/, "");
}
