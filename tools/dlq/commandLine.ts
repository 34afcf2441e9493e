import { type ParseArgsConfig, parseArgs } from "node:util";
import { UsageError } from "./UsageError";

export const COMMANDS = ["list", "show", "stats", "redrive", "discard", "help"] as const;
export type CommandName = (typeof COMMANDS)[number];

type Options = NonNullable<ParseArgsConfig["options"]>;

const CONNECTION: Options = {
  aws: { type: "boolean" },
  region: { type: "string" },
  "s3-endpoint": { type: "string" },
  "dynamodb-endpoint": { type: "string" },
  brokers: { type: "string" },
  table: { type: "string" },
  "attempts-table": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

const FILTERS: Options = {
  topic: { type: "string" },
  since: { type: "string" },
  until: { type: "string" },
  stage: { type: "string" },
  "error-class": { type: "string" },
  status: { type: "string" },
};

const COMMAND_OPTIONS: Readonly<Record<CommandName, Options>> = {
  list: { ...FILTERS, limit: { type: "string" }, "page-token": { type: "string" } },
  show: {},
  stats: { ...FILTERS },
  redrive: {
    ...FILTERS,
    "to-topic": { type: "string" },
    "dry-run": { type: "boolean" },
    rate: { type: "string" },
    max: { type: "string" },
    "max-redrives": { type: "string" },
    "batch-size": { type: "string" },
    resume: { type: "string" },
    "run-id": { type: "string" },
    "from-on-failure": { type: "string" },
    verbose: { type: "boolean", short: "v" },
  },
  discard: {
    ...FILTERS,
    "dry-run": { type: "boolean" },
    reason: { type: "string" },
    all: { type: "boolean" },
  },
  help: {},
};

/** Which positionals a command takes. */
const POSITIONALS: Readonly<Record<CommandName, "none" | "one" | "many">> = {
  list: "none",
  show: "one",
  stats: "none",
  redrive: "many",
  discard: "many",
  help: "many",
};

export interface CommandLine {
  readonly command: CommandName;
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

/**
 * Splits `dlq <command> [ids...] [--flags]` with node:util parseArgs, strictly: an unknown flag or
 * a missing value is a {@link UsageError}, reported in one line.
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const [first, ...rest] = argv;
  if (first === undefined || first === "--help" || first === "-h")
    return { command: "help", values: {}, positionals: [] };
  if (!(COMMANDS as readonly string[]).includes(first)) {
    throw new UsageError(
      `unknown command "${first}": use one of ${COMMANDS.filter((c) => c !== "help").join(", ")}`,
    );
  }
  const command = first as CommandName;
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...rest],
      options: { ...CONNECTION, ...COMMAND_OPTIONS[command] },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(`${command}: ${firstLine(error)}`);
  }
  const positionals = parsed.positionals;
  const arity = POSITIONALS[command];
  if (parsed.values.help !== true) {
    if (arity === "none" && positionals.length > 0) {
      throw new UsageError(`${command} takes no arguments, got "${positionals.join(" ")}"`);
    }
    if (arity === "one" && positionals.length !== 1) {
      throw new UsageError(`${command} takes one dead-letter id, e.g. dlq ${command} employees:0:42`);
    }
  }
  return { command, values: parsed.values as CommandLine["values"], positionals };
}

/** The field names of the shared validators, spelled as flags. */
export function flagName(field: string): string {
  const special: Record<string, string> = { ids: "id", onFailure: "--from-on-failure", max: "--max" };
  return special[field] ?? `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

export function stringFlag(values: CommandLine["values"], name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split("\n")[0] ?? message).replace(/\. To specify a positional argument.*$/, "");
}
