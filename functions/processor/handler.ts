/**
 * The processor Lambda: composition root only. Configuration, clients and the producer are built
 * once per container; every invocation runs the batch through the pipelines in `./pipelines`.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import { publishBatchMetrics } from "../lib/adapters/batchMetrics";
import { loadConfig } from "../lib/config";
import { createProcessor } from "../lib/lambda/createProcessor";
import { kafkaBatchProcessing } from "../lib/lambda/kafkaBatchProcessing";
import { DEFAULT_METRICS_NAMESPACE, DEFAULT_SERVICE_NAME } from "../lib/metricNames";
import { pipelines } from "./pipelines";

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? DEFAULT_SERVICE_NAME;
const logger = new Logger({ serviceName });
const metrics = new Metrics({
  serviceName,
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? DEFAULT_METRICS_NAMESPACE,
});
const config = loadConfig();
const { processor } = createProcessor(config, pipelines, logger);

export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .use(
    kafkaBatchProcessing({
      processor,
      logger,
      throwOnFullBatchFailure: config.processing.throwOnFullBatchFailure,
      onBatchProcessed: (result) => publishBatchMetrics(metrics, result.stats),
    }),
  )
  .handler(async () => undefined);
