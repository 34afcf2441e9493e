import { selectsEverything } from "../../../functions/lib/redrive/deadLetterFilter";
import { discardDeadLetters } from "../../../functions/lib/redrive/discardDeadLetters";
import { RECORD_ACTIONS } from "../../../functions/lib/redrive/types";
import type { Command } from "../CommandContext";
import { stringFlag } from "../commandLine";
import { EXIT_CODES } from "../exitCodes";
import { UsageError } from "../UsageError";
import { filterOf } from "./filterOf";

/** `dlq discard`: marks new dead letters handled; asks for `--all` before touching every one. */
export const discardCommand: Command = async (context) => {
  const { io, line } = context;
  const filter = filterOf(context, ["new"]);
  if (selectsEverything(filter) && line.values.all !== true) {
    throw new UsageError(
      "discard needs ids or a filter (--topic, --since, --stage, ...), or --all for every new dead letter",
    );
  }
  const reason = stringFlag(line.values, "reason") ?? `discarded with dlq by ${io.env.USER ?? "an operator"}`;
  const dryRun = line.values["dry-run"] === true;
  const json = line.values.json === true;
  const summary = await discardDeadLetters(context.tools().catalog, filter, {
    reason,
    dryRun,
    now: () => io.now(),
    onRecord: (report) => {
      if (json) io.out(JSON.stringify(report));
      else if (report.action === RECORD_ACTIONS.skipped) io.err(`skipped ${report.id}: ${report.detail}`);
      else io.out(`${report.action} ${report.id}`);
    },
  });
  if (json) io.out(JSON.stringify(summary));
  else
    io.err(
      `${dryRun ? "would discard" : "discarded"} ${summary.discarded}, skipped ${summary.skipped} ` +
        `(of ${summary.selected} selected)${dryRun ? "; dry run: nothing changed" : ""}`,
    );
  return EXIT_CODES.ok;
};
