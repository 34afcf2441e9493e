import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import { publishBatchMetrics } from "../adapters/batchMetrics";
import { withCanaryPipeline } from "../canary/withCanaryPipeline";
import { loadConfig } from "../config";
import type { Pipeline } from "../core/pipeline";
import { DEFAULT_METRICS_NAMESPACE, DEFAULT_SERVICE_NAME } from "../metricNames";
import { createProcessor, type ProcessorParts } from "./createProcessor";
import { kafkaBatchProcessing } from "./kafkaBatchProcessing";
import { mapStackTracesLazily } from "./stackTraces";

/**
 * The processor Lambda's whole wiring for a list of pipelines: configuration, clients and the
 * producer built once (INIT), a middy handler per invocation. `functions/processor/handler.ts`
 * calls it with the deployment's pipelines; the integration tests bundle the same code with
 * pipelines on topics of their own.
 */
export function createProcessorHandler(pipelines: readonly Pipeline[]): {
  handler: ReturnType<typeof middy>;
  parts: ProcessorParts;
} {
  mapStackTracesLazily();
  const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? DEFAULT_SERVICE_NAME;
  const logger = new Logger({ serviceName });
  const metrics = new Metrics({
    serviceName,
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? DEFAULT_METRICS_NAMESPACE,
  });
  const config = loadConfig();
  // CANARY_TOPIC (the construct's `canary` option) adds the canary pipeline next to the user's.
  const parts = createProcessor(config, withCanaryPipeline(config, pipelines), logger);
  const handler = middy()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(
      kafkaBatchProcessing({
        processor: parts.processor,
        logger,
        throwOnFullBatchFailure: config.processing.throwOnFullBatchFailure,
        onBatchProcessed: (result) => publishBatchMetrics(metrics, result.stats),
      }),
    )
    .handler(async () => undefined);
  return { handler, parts };
}
