import type { Context } from "aws-lambda";
import { describeCause, errorClassName } from "../core/errors";
import { settleBatch } from "../core/KafkaBatchProcessor";
import type { KafkaBatchResponse } from "../core/types";
import type { KafkaBatchHandlingOptions } from "./options";

/**
 * The same behaviour as the middy middleware, as a plain Lambda handler for those not using middy.
 *
 * @example
 * export const handler = withKafkaBatchProcessing({ processor });
 */
export function withKafkaBatchProcessing(
  options: KafkaBatchHandlingOptions,
): (event: unknown, context: Context) => Promise<KafkaBatchResponse> {
  const throwOnFullBatchFailure = options.throwOnFullBatchFailure ?? true;
  return async (event, context) => {
    try {
      const result = await options.processor.process(event, context);
      await options.onBatchProcessed?.(result);
      return settleBatch(result, throwOnFullBatchFailure);
    } catch (error) {
      options.logger?.error("batch failed; Lambda will retry it", {
        errorClass: errorClassName(error),
        error: describeCause(error),
      });
      throw error;
    }
  };
}
