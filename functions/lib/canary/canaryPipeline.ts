import * as z from "zod";
import { RetryLaterError } from "../core/errors";
import { definePipeline, type Pipeline } from "../core/pipeline";
import { CANARY_KINDS, CANARY_RUN_ID, canaryTopics } from "./canaryRecord";
import type { CanaryDeliveries } from "./ports";

/**
 * The records the canary pipeline accepts: `good` and `transient-once`. A record of kind `invalid`
 * fails here on purpose, so that it becomes a `validate` dead letter like any user record would.
 */
export const canaryRecordSchema = z.looseObject({
  canary: z.string().regex(CANARY_RUN_ID),
  kind: z.enum([CANARY_KINDS.good, CANARY_KINDS.transientOnce]),
  sentAt: z.string().optional(),
});

export interface CanaryPipelineOptions {
  /** The canary topic (CANARY_TOPIC); results go to `<topic>.out`, dead letters to `<topic>.dlq`. */
  readonly sourceTopic: string;
  readonly deliveries: CanaryDeliveries;
}

/**
 * The canary pipeline: a pipeline like the user's (decode, validate, transform, produce), on topics of
 * its own, whose records each prove one path of the deployment. Every delivery of a valid record is
 * counted in a store that outlives the container, so that:
 *
 * - `good` is forwarded with its delivery number: a second delivery means the mapping retried the
 *   whole batch instead of resuming at the record the partial batch response reported;
 * - `transient-once` asks to be retried (RetryLaterError) on its first delivery only, and is forwarded
 *   when the mapping delivers it again, in whatever container that happens.
 *
 * A failure of the store itself is classified like any transform error (retriable when transient), so
 * the canary never forwards a record whose delivery it could not count.
 *
 * @example
 * const canary = createCanaryPipeline({ sourceTopic: "orders-prod.canary", deliveries });
 * createProcessor(config, [...pipelines, canary], logger);
 */
export function createCanaryPipeline(options: CanaryPipelineOptions): Pipeline {
  const topics = canaryTopics(options.sourceTopic);
  return definePipeline({
    sourceTopic: topics.source,
    targetTopic: topics.target,
    dlqTopic: topics.dlq,
    schema: canaryRecordSchema,
    transform: async (record) => {
      const delivery = await options.deliveries.count(record.canary, record.kind);
      if (record.kind === CANARY_KINDS.transientOnce && delivery === 1) {
        throw new RetryLaterError("canary: the first delivery of a transient-once record fails on purpose");
      }
      return { ...record, delivery };
    },
  });
}
