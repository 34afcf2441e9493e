import { Token } from "aws-cdk-lib";
import { canaryTopics, defaultCanaryTopic } from "../../functions/lib/canary/canaryRecord";
import { PipelinePropsError } from "./errors";
import { type ResolvedPipeline, topicName } from "./resolvePipelines";
import type { CanaryOptions, OnFailureDestination } from "./types";

// The mapping's rule for consumer group ids (as in resolvePipelines.ts).
const CONSUMER_GROUP_ID = /^[a-zA-Z0-9\-/*:_+=.@]{1,200}$/;

export interface CanaryContext {
  readonly stackName: string;
  readonly consumerGroupIdPrefix: string;
  readonly pipelines: readonly ResolvedPipeline[];
  readonly onFailure: OnFailureDestination;
}

/**
 * The canary as one more mapped pipeline, or undefined when it is off (the default). Its topics and
 * consumer group must be its own: a canary that shared a user topic would put test records into user
 * data, and one that shared a group would take records from a user mapping.
 */
export function resolveCanary(
  canary: boolean | CanaryOptions | undefined,
  context: CanaryContext,
): ResolvedPipeline | undefined {
  if (canary === undefined || canary === false) return undefined;
  if (canary !== true && (typeof canary !== "object" || canary === null)) {
    throw new PipelinePropsError(
      "canary",
      `must be true, false or { topic?: string }, got ${JSON.stringify(canary)}`,
    );
  }
  const options = canary === true ? {} : canary;
  if (options.topic === undefined && Token.isUnresolved(context.stackName)) {
    throw new PipelinePropsError(
      "canary.topic",
      "is required when the stack's name is not known at synth time (it is the default, <stackName>.canary)",
    );
  }
  const source = topicName("canary.topic", options.topic ?? defaultCanaryTopic(context.stackName));
  if (source.length > 245) {
    throw new PipelinePropsError(
      "canary.topic",
      `must leave room for the ".out" and ".dlq" suffixes (at most 245 characters), got ${source.length}`,
    );
  }
  const topics = canaryTopics(source);
  const own = [topics.source, topics.target, topics.dlq];
  for (const pipeline of context.pipelines) {
    const shared = [pipeline.source, pipeline.target, pipeline.dlq].find((t) => own.includes(t));
    if (shared !== undefined) {
      throw new PipelinePropsError(
        "canary.topic",
        `"${source}" needs "${shared}", which the pipeline of "${pipeline.source}" uses; the canary's topics must be its own`,
      );
    }
  }
  if (context.onFailure.type === "kafka" && own.includes(context.onFailure.topic)) {
    throw new PipelinePropsError(
      "canary.topic",
      `"${source}" needs "${context.onFailure.topic}", the on-failure topic; the canary's topics must be its own`,
    );
  }
  const consumerGroupId = `${context.consumerGroupIdPrefix}-${source}`;
  if (!CONSUMER_GROUP_ID.test(consumerGroupId)) {
    throw new PipelinePropsError(
      "canary.topic",
      `gives the consumer group "${consumerGroupId}", which is not 1-200 characters of [a-zA-Z0-9-/*:_+=.@]`,
    );
  }
  const sharedGroup = context.pipelines.find((p) => p.consumerGroupId === consumerGroupId);
  if (sharedGroup !== undefined) {
    throw new PipelinePropsError(
      "canary.topic",
      `gives the consumer group "${consumerGroupId}", which the pipeline of "${sharedGroup.source}" uses`,
    );
  }
  return { ...topics, consumerGroupId };
}
