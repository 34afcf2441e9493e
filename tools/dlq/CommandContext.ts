import type { Config } from "../../functions/lib/config";
import type { RedriveTools } from "../../functions/lib/redrive/createRedriveTools";
import type { RedriveDefaults } from "../../functions/lib/redrive/redriveRequest";
import type { CommandLine } from "./commandLine";
import type { ExitCode } from "./exitCodes";
import type { CliIo } from "./io";

/** What every command gets: its parsed line, the outside world, and the adapters (built on first use). */
export interface CommandContext {
  readonly line: CommandLine;
  readonly io: CliIo;
  readonly config: Config;
  readonly defaults: RedriveDefaults;
  readonly tools: () => RedriveTools;
}

export type Command = (context: CommandContext) => Promise<ExitCode>;
