import { ConfigError } from "../../functions/lib/core/errors";
import { silentLogger } from "../../functions/lib/core/ports";
import {
  createRedriveTools,
  loadRedriveDefaults,
  type RedriveToolOptions,
  type RedriveTools,
} from "../../functions/lib/redrive/createRedriveTools";
import { RedriveInputError } from "../../functions/lib/redrive/errors";
import type { Command, CommandContext } from "./CommandContext";
import { type CommandName, parseCommandLine } from "./commandLine";
import { discardCommand } from "./commands/discard";
import { listCommand } from "./commands/list";
import { redriveCommand } from "./commands/redrive";
import { showCommand } from "./commands/show";
import { statsCommand } from "./commands/stats";
import { commandConfig } from "./connection";
import { EXIT_CODES, type ExitCode } from "./exitCodes";
import type { CliIo } from "./io";
import { usage } from "./usage";

const COMMANDS: Readonly<Record<Exclude<CommandName, "help">, Command>> = {
  list: listCommand,
  show: showCommand,
  stats: statsCommand,
  redrive: redriveCommand,
  discard: discardCommand,
};

/**
 * Runs one `dlq` command and returns its exit code. Every error ends as one line on stderr: bad input
 * (exit 2) says what to type instead, operational failures (exit 1) say what failed; no stack trace.
 *
 * @example
 * process.exitCode = await runDlq(["list", "--topic", "employees"], processIo());
 */
export async function runDlq(
  argv: readonly string[],
  io: CliIo,
  options: RedriveToolOptions = {},
): Promise<ExitCode> {
  let tools: RedriveTools | undefined;
  try {
    const line = parseCommandLine(argv);
    if (line.command === "help") {
      const topic = line.positionals[0];
      io.out(usage(topic !== undefined && topic in COMMANDS ? (topic as CommandName) : "help"));
      return EXIT_CODES.ok;
    }
    if (line.values.help === true) {
      io.out(usage(line.command));
      return EXIT_CODES.ok;
    }
    const { config, env } = commandConfig(line, io.env);
    const context: CommandContext = {
      line,
      io,
      config,
      defaults: loadRedriveDefaults(env),
      tools: () => {
        tools ??= createRedriveTools(config, silentLogger, options);
        return tools;
      },
    };
    return await COMMANDS[line.command](context);
  } catch (error) {
    io.err(`dlq: ${oneLine(error)}`);
    return isBadInput(error) ? EXIT_CODES.badInput : EXIT_CODES.failure;
  } finally {
    await tools?.close();
  }
}

function isBadInput(error: unknown): boolean {
  return error instanceof RedriveInputError || error instanceof ConfigError;
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, " ").trim() || (error instanceof Error ? error.name : "unknown error");
}
