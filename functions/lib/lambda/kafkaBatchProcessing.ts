import type { MiddlewareObj } from "@middy/core";
import type { Context } from "aws-lambda";
import { describeCause, errorClassName } from "../core/errors";
import { type BatchResult, settleBatch } from "../core/KafkaBatchProcessor";
import type { KafkaBatchResponse } from "../core/types";
import type { KafkaBatchHandlingOptions } from "./options";

interface Internal extends Record<string, unknown> {
  kafkaBatchResult?: BatchResult;
}

/**
 * middy middleware: processes the Kafka batch before the handler runs and owns the response.
 *
 * `before` runs every record through the pipelines and keeps the result under
 * `request.internal.kafkaBatchResult`; `after` replaces the handler's response with the partial
 * batch response (or throws when the whole batch must be retried); `onError` logs the failure and
 * lets it propagate, so Lambda retries the batch and nothing is acknowledged.
 *
 * @example
 * export const handler = middy()
 *   .use(injectLambdaContext(logger))
 *   .use(logMetrics(metrics))
 *   .use(kafkaBatchProcessing({ processor }))
 *   .handler(async () => undefined);
 */
export function kafkaBatchProcessing(
  options: KafkaBatchHandlingOptions,
): MiddlewareObj<unknown, KafkaBatchResponse, Error, Context, Internal> {
  const throwOnFullBatchFailure = options.throwOnFullBatchFailure ?? true;
  return {
    before: async (request) => {
      const result = await options.processor.process(request.event, request.context);
      request.internal.kafkaBatchResult = result;
      await options.onBatchProcessed?.(result);
    },
    after: (request) => {
      const result = request.internal.kafkaBatchResult;
      if (result !== undefined) request.response = settleBatch(result, throwOnFullBatchFailure);
    },
    onError: (request) => {
      options.logger?.error("batch failed; Lambda will retry it", {
        errorClass: errorClassName(request.error),
        error: describeCause(request.error),
      });
    },
  };
}
