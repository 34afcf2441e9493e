/**
 * The redrive Lambda: composition root only. Its event is a redrive request (the same filters and
 * options as `dlq redrive`, see RedriveInput); it replays until done or until its time runs short,
 * then returns the summary with the run id, which `{"resume": "<run-id>"}` continues.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { loadConfig } from "../lib/config";
import { mapStackTracesLazily } from "../lib/lambda/stackTraces";
import { DEFAULT_SERVICE_NAME } from "../lib/metricNames";
import { createRedriveTools, loadRedriveDefaults } from "../lib/redrive/createRedriveTools";
import { parseRedriveInput, type RedriveInput } from "../lib/redrive/redriveRequest";
import { RECORD_ACTIONS, type RedriveSummary } from "../lib/redrive/types";

/** Time kept back to save the checkpoint and return the summary before Lambda stops the function. */
const STOP_BEFORE_DEADLINE_MS = 15_000;

mapStackTracesLazily();
const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? `${DEFAULT_SERVICE_NAME}-redrive`,
});
const config = loadConfig();
const defaults = loadRedriveDefaults();
const tools = createRedriveTools(config, logger);

async function redrive(event: RedriveInput | null, context: Context): Promise<RedriveSummary> {
  const invocation = parseRedriveInput(event ?? {}, { now: new Date(), defaults });
  const observer = {
    onRecord: (report: { id: string; action: string; detail: string }) => {
      if (report.action === RECORD_ACTIONS.refused || report.action === RECORD_ACTIONS.failed)
        logger.warn(`dead letter ${report.action}`, { ...report });
    },
    shouldStop: () =>
      context.getRemainingTimeInMillis() < STOP_BEFORE_DEADLINE_MS
        ? 'the invocation is about to time out: invoke again with {"resume": runId}'
        : undefined,
  };
  const summary =
    invocation.kind === "resume"
      ? await tools.redriver.resume(invocation.runId, observer)
      : await tools.redriver.start(invocation.request, observer, invocation.runId);
  logger.info("redrive finished", { summary });
  return summary;
}

export const handler = middy(redrive).use(injectLambdaContext(logger, { resetKeys: true }));
