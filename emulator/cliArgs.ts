/**
 * Command-line flags of `npm run emulate`, parsed into settings without touching the network, so
 * every flag can be unit-tested and every mistake is reported as one line naming the flag.
 */
import { parseArgs } from "node:util";
import {
  ITEM_IDENTIFIER_KEYS,
  type ItemIdentifierKey,
  STARTING_POSITIONS,
  type StartingPosition,
} from "./constants";
import { MappingSettingError } from "./errors";
import type { MappingSettingsInput } from "./settings";
import type { EventSourceName, KafkaConnection, SaslSettings } from "./types";

export const USAGE = `usage: npm run emulate -- --handler <module>[#export] --topics <t1,t2> [options]

Source
  --brokers <h:p,...>             default $KAFKA_BROKERS or 127.0.0.1:9092
  --topics <t1,t2>                topics of the mapping (required)
  --group <id>                    consumer group; default emulator-<topics>
  --starting-position <p>         TRIM_HORIZON (default) or LATEST, for a group without offsets
  --ssl                           TLS to the brokers
  --sasl-mechanism <m>            plain | scram-sha-256 | scram-sha-512
  --sasl-username <u>             with --sasl-mechanism
  --sasl-password <p>             or $EMULATOR_SASL_PASSWORD (keeps it out of shell history)
Function
  --handler <module>[#export]     a .ts/.js module path; export defaults to "handler" (required)
  --timeout-s <n>                 function timeout, default 60
  --function-name <name>          default kafka-emulated-function
  --env KEY=VALUE                 set before the handler module is imported (repeatable)
  --bundle                        run the handler as an esbuild bundle, as NodejsFunction deploys it
  --sandbox                       run the handler in Lambda-like sandbox processes (timeout and memory
                                  kills, cold starts, REPORT lines); a .ts handler is bundled first
  --memory-mb <n>                 function memory size, 128..10240, default 512 (heap flags, RSS limit)
Mapping (the same settings as the CDK construct)
  --batch-size <n>                1..10000, default 100
  --batching-window-ms <n>        default 500
  --retry-attempts <n>            -1 (infinite, default) or 0..10000
  --max-record-age-s <n>          -1 (infinite, default) or 60..604800
  --bisect                        split a failed batch in two and retry each half
  --no-partial-responses          ignore batchItemFailures (ReportBatchItemFailures off)
  --item-identifier-key <k>       partition (default) or topic-partition
  --partial-failures-count-as-retries
                                  a partial response uses up a retry attempt
  --on-failure <target>           s3://bucket[/prefix] or kafka://topic
  --s3-endpoint <url|aws>         for an s3:// target; default $S3_ENDPOINT or the local stack
  --event-source <s>              SelfManagedKafka (default) or aws:kafka
  --event-source-arn <arn>        with aws:kafka
  --retry-backoff-ms <n>          first delay between retries of a failed batch, default 100
  --concurrency <n>               invocations at once, never two for one partition; default 1
  --schema-registry <url>         a Confluent-compatible registry on the mapping: Confluent wire-format
                                  values are deserialized before the invocation
  --event-record-format <f>       with --schema-registry: JSON (default) or SOURCE
Run
  --until-idle-ms <n>             stop when nothing arrived for this long
  --max-batches <n>               stop after this many invocations
  --help`;

export interface CliOptions {
  readonly handlerModule: string;
  readonly handlerExport: string;
  /** Run an esbuild bundle of the handler module instead of its sources. */
  readonly bundle: boolean;
  /** Run the handler in sandbox processes instead of the emulator's own. */
  readonly sandbox: boolean;
  readonly connection: KafkaConnection;
  readonly settings: MappingSettingsInput;
  readonly env: Readonly<Record<string, string>>;
  /** Undefined: the functions' configuration decides (local stack unless on AWS); "aws": SDK default. */
  readonly s3Endpoint: string | undefined;
  readonly untilIdleMs: number | undefined;
  readonly maxBatches: number | undefined;
  /** The mapping's schema registry (`--schema-registry`), validating VALUE. */
  readonly schemaRegistry:
    | { readonly url: string; readonly eventRecordFormat: "JSON" | "SOURCE" }
    | undefined;
}

export type CliParse = { readonly help: true } | ({ readonly help: false } & CliOptions);

/**
 * @throws {MappingSettingError} with the flag's name for any flag it cannot read.
 *
 * @example
 * parseCliArgs(["--handler", "functions/processor/handler.ts", "--topics", "employees"], process.env);
 */
export function parseCliArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): CliParse {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        handler: { type: "string" },
        brokers: { type: "string" },
        topics: { type: "string" },
        group: { type: "string" },
        "starting-position": { type: "string" },
        ssl: { type: "boolean" },
        "sasl-mechanism": { type: "string" },
        "sasl-username": { type: "string" },
        "sasl-password": { type: "string" },
        "timeout-s": { type: "string" },
        "function-name": { type: "string" },
        env: { type: "string", multiple: true },
        bundle: { type: "boolean" },
        sandbox: { type: "boolean" },
        "memory-mb": { type: "string" },
        "batch-size": { type: "string" },
        "batching-window-ms": { type: "string" },
        "retry-attempts": { type: "string" },
        "max-record-age-s": { type: "string" },
        bisect: { type: "boolean" },
        "no-partial-responses": { type: "boolean" },
        "item-identifier-key": { type: "string" },
        "partial-failures-count-as-retries": { type: "boolean" },
        "on-failure": { type: "string" },
        "s3-endpoint": { type: "string" },
        "event-source": { type: "string" },
        "event-source-arn": { type: "string" },
        "retry-backoff-ms": { type: "string" },
        concurrency: { type: "string" },
        "schema-registry": { type: "string" },
        "event-record-format": { type: "string" },
        "until-idle-ms": { type: "string" },
        "max-batches": { type: "string" },
        region: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new MappingSettingError("arguments:", (error as Error).message.split("\n")[0] ?? "are invalid");
  }
  if (values.help === true) return { help: true };

  const text = (name: string): string | undefined => {
    const value = values[name];
    return typeof value === "string" ? value : undefined;
  };
  const required = (name: string): string => {
    const value = text(name);
    if (value === undefined || value.trim() === "") throw new MappingSettingError(`--${name}`, "is required");
    return value;
  };
  const int = (name: string): number | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    if (!/^-?\d+$/.test(value.trim()))
      throw new MappingSettingError(`--${name}`, `must be an integer, got "${value}"`);
    return Number(value);
  };
  const num = (name: string): number | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (value.trim() === "" || !Number.isFinite(parsed)) {
      throw new MappingSettingError(`--${name}`, `must be a number, got "${value}"`);
    }
    return parsed;
  };
  const oneOf = <const T extends string>(name: string, allowed: readonly T[]): T | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(value)) {
      throw new MappingSettingError(`--${name}`, `must be one of ${allowed.join(", ")}, got "${value}"`);
    }
    return value as T;
  };

  const [handlerModule = "", handlerExport = "handler"] = required("handler").split("#");
  if (handlerModule === "" || handlerExport === "") {
    throw new MappingSettingError(
      "--handler",
      "must be <module>[#export], e.g. functions/processor/handler.ts#handler",
    );
  }
  const brokers = (text("brokers") ?? env.KAFKA_BROKERS ?? "127.0.0.1:9092")
    .split(",")
    .map((b) => b.trim())
    .filter((b) => b !== "");
  for (const broker of brokers) {
    if (!/^[^\s:]+:\d{1,5}$/.test(broker)) {
      throw new MappingSettingError("--brokers", `must be comma-separated host:port pairs, got "${broker}"`);
    }
  }
  if (brokers.length === 0) throw new MappingSettingError("--brokers", "must name at least one broker");

  const startingPosition: StartingPosition | undefined = oneOf("starting-position", STARTING_POSITIONS);
  const itemIdentifierKey: ItemIdentifierKey | undefined = oneOf("item-identifier-key", ITEM_IDENTIFIER_KEYS);
  const eventSource: EventSourceName | undefined = oneOf("event-source", [
    "aws:kafka",
    "SelfManagedKafka",
  ] as const);
  const untilIdleMs = int("until-idle-ms");
  if (untilIdleMs !== undefined && untilIdleMs < 1)
    throw new MappingSettingError("--until-idle-ms", "must be at least 1");
  const maxBatches = int("max-batches");
  if (maxBatches !== undefined && maxBatches < 1)
    throw new MappingSettingError("--max-batches", "must be at least 1");

  const registryUrl = text("schema-registry");
  const eventRecordFormat = oneOf("event-record-format", ["JSON", "SOURCE"] as const);
  if (registryUrl !== undefined && !/^https?:\/\/\S+$/.test(registryUrl)) {
    throw new MappingSettingError("--schema-registry", `must be an http(s) URL, got "${registryUrl}"`);
  }
  if (registryUrl === undefined && eventRecordFormat !== undefined) {
    throw new MappingSettingError("--event-record-format", "needs --schema-registry");
  }

  const settings: MappingSettingsInput = {
    topics: required("topics").split(","),
    ...defined("groupId", text("group")),
    ...defined("startingPosition", startingPosition),
    ...defined("batchSize", int("batch-size")),
    ...defined("batchingWindowMs", int("batching-window-ms")),
    ...defined("retryAttempts", int("retry-attempts")),
    ...defined("maxRecordAgeS", int("max-record-age-s")),
    bisectBatchOnError: values.bisect === true,
    reportBatchItemFailures: values["no-partial-responses"] !== true,
    ...defined("itemIdentifierKey", itemIdentifierKey),
    partialFailuresCountAsRetries: values["partial-failures-count-as-retries"] === true,
    ...defined("onFailure", text("on-failure")),
    ...defined("timeoutS", num("timeout-s")),
    ...defined("eventSource", eventSource),
    ...defined("eventSourceArn", text("event-source-arn")),
    ...defined("functionName", text("function-name")),
    ...defined("region", text("region") ?? env.AWS_REGION),
    ...defined("retryBackoffMs", int("retry-backoff-ms")),
    ...defined("concurrency", int("concurrency")),
    ...defined("memorySizeMb", int("memory-mb")),
  };

  return {
    help: false,
    handlerModule,
    handlerExport,
    bundle: values.bundle === true,
    sandbox: values.sandbox === true,
    connection: {
      brokers,
      ssl: values.ssl === true,
      sasl: saslOf(oneOf("sasl-mechanism", ["plain", "scram-sha-256", "scram-sha-512"] as const), text, env),
      clientId: "lambda-esm-emulator",
    },
    settings,
    env: envAssignments((values.env as string[] | undefined) ?? []),
    s3Endpoint: text("s3-endpoint"),
    untilIdleMs,
    maxBatches,
    schemaRegistry:
      registryUrl === undefined
        ? undefined
        : { url: registryUrl, eventRecordFormat: eventRecordFormat ?? "JSON" },
  };
}

function saslOf(
  mechanism: SaslSettings["mechanism"] | undefined,
  text: (name: string) => string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): SaslSettings | undefined {
  const username = text("sasl-username");
  const password = text("sasl-password") ?? env.EMULATOR_SASL_PASSWORD;
  if (mechanism === undefined) {
    if (username !== undefined) throw new MappingSettingError("--sasl-username", "needs --sasl-mechanism");
    return undefined;
  }
  if (username === undefined)
    throw new MappingSettingError("--sasl-username", `is required with --sasl-mechanism ${mechanism}`);
  if (password === undefined) {
    throw new MappingSettingError(
      "--sasl-password",
      `(or $EMULATOR_SASL_PASSWORD) is required with --sasl-mechanism ${mechanism}`,
    );
  }
  return { mechanism, username, password };
}

function envAssignments(entries: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of entries) {
    const index = entry.indexOf("=");
    const name = entry.slice(0, index);
    if (index <= 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new MappingSettingError("--env", `must be KEY=VALUE, got "${entry}"`);
    }
    env[name] = entry.slice(index + 1);
  }
  return env;
}

function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
