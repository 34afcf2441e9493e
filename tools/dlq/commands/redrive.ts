import { RedriveFailedError } from "../../../functions/lib/redrive/errors";
import type { RedriveObserver } from "../../../functions/lib/redrive/Redriver";
import { parseRedriveInput } from "../../../functions/lib/redrive/redriveRequest";
import { RECORD_ACTIONS, type RecordReport, type RedriveSummary } from "../../../functions/lib/redrive/types";
import type { Command, CommandContext } from "../CommandContext";
import { flagName, stringFlag } from "../commandLine";
import { EXIT_CODES, type ExitCode } from "../exitCodes";
import { renderSummary } from "../format";
import { ProgressReporter } from "../progress";
import { filterFlags } from "./filterOf";

/**
 * `dlq redrive`: replays with a progress bar, one line per refused or failed record, a summary, and
 * on Ctrl-C a clean stop after the batch in flight with the command that resumes the run.
 */
export const redriveCommand: Command = async (context) => {
  const { io, line } = context;
  const v = line.values;
  const invocation = parseRedriveInput(
    {
      ...filterFlags(context),
      toTopic: stringFlag(v, "to-topic"),
      maxRedrives: stringFlag(v, "max-redrives"),
      max: stringFlag(v, "max"),
      rate: stringFlag(v, "rate"),
      batchSize: stringFlag(v, "batch-size"),
      dryRun: v["dry-run"] === true,
      onFailure: stringFlag(v, "from-on-failure"),
      resume: stringFlag(v, "resume"),
      runId: stringFlag(v, "run-id"),
    },
    { now: io.now(), defaults: context.defaults, nameOf: flagName },
  );
  const json = v.json === true;
  const verbose = v.verbose === true;
  const dryRun = invocation.kind === "start" && invocation.request.dryRun;
  const progress = new ProgressReporter(io, dryRun ? "redrive (dry run)" : "redrive");
  let interrupted = false;
  const stopListening = io.onInterrupt(() => {
    if (interrupted) return;
    interrupted = true;
    progress.line("stopping after the batch in flight (Ctrl-C)…");
  });
  const began = io.now().getTime();
  const observer: RedriveObserver = {
    onStart: (info) => {
      const what =
        info.request.source.kind === "index"
          ? "dead letters"
          : `on-failure records under s3://${"bucket" in info.request.source ? `${info.request.source.bucket}/${info.request.source.prefix}` : ""}`;
      progress.line(
        `${info.resumed ? "resuming" : "starting"} redrive ${info.runId}${info.request.dryRun ? " (dry run)" : ""}: ` +
          `${info.total === undefined ? "" : `${info.total} `}${what} selected` +
          (info.resumed ? `; earlier attempts replayed ${info.previous.replayed}` : ""),
      );
    },
    onRecord: (report: RecordReport) => {
      if (json) io.out(JSON.stringify(report));
      else if (verbose || report.action === RECORD_ACTIONS.refused || report.action === RECORD_ACTIONS.failed)
        progress.line(`${report.action.padEnd(12)} ${report.id}: ${report.detail}`);
      else if (report.action === RECORD_ACTIONS.skipped && line.positionals.length > 0)
        progress.line(`${report.action.padEnd(12)} ${report.id}: ${report.detail}`);
    },
    onProgress: ({ counts, total }) => progress.update(counts, total),
    shouldStop: () => (interrupted ? "interrupted by Ctrl-C" : undefined),
  };
  const { redriver } = context.tools();
  try {
    const summary =
      invocation.kind === "resume"
        ? await redriver.resume(invocation.runId, observer)
        : await redriver.start(invocation.request, observer, invocation.runId);
    progress.finish();
    report(context, summary, began, json);
    if (summary.state === "interrupted") return EXIT_CODES.interrupted;
    return summary.counts.failed > 0 ? EXIT_CODES.failure : EXIT_CODES.ok;
  } catch (error) {
    progress.finish();
    if (error instanceof RedriveFailedError) report(context, error.summary, began, json);
    throw error;
  } finally {
    stopListening();
  }
};

function report(context: CommandContext, summary: RedriveSummary, began: number, json: boolean): ExitCode {
  const { io } = context;
  if (json) {
    io.out(JSON.stringify(summary));
  } else {
    for (const line of renderSummary(summary, (io.now().getTime() - began) / 1_000)) io.err(line);
  }
  if (!summary.dryRun && summary.state !== "completed") {
    io.err(`resume with: npm run dlq -- redrive --resume ${summary.runId}`);
  }
  return EXIT_CODES.ok;
}
