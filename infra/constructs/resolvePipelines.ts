import { PipelinePropsError } from "./errors";
import type { OnFailureDestination, TopicPipeline } from "./types";

export interface ResolvedPipeline {
  readonly source: string;
  readonly target: string;
  readonly dlq: string;
  readonly consumerGroupId: string;
}

// Kafka's own rule (legal characters, at most 249, not "." or "..").
const TOPIC_NAME = /^(?!\.{1,2}$)[a-zA-Z0-9._-]{1,249}$/;
// The mapping's rule for consumer group ids.
const CONSUMER_GROUP_ID = /^[a-zA-Z0-9\-/*:_+=.@]{1,200}$/;

/**
 * Checks every source, target, DLQ and consumer group, and that the processor's code has a pipeline
 * for each source: a topic it does not know would be dead-lettered record by record.
 */
export function resolvePipelines(
  pipelines: readonly TopicPipeline[],
  groupPrefix: string,
  knownSourceTopics: readonly string[] | undefined,
): ResolvedPipeline[] {
  if (pipelines.length === 0) {
    throw new PipelinePropsError("pipelines", "must name at least one source topic");
  }
  const resolved = pipelines.map((pipeline, index) => {
    const where = `pipelines[${index}]`;
    const source = topicName(`${where}.source`, pipeline.source);
    const target = topicName(`${where}.target`, pipeline.target ?? `${source}.processed`);
    const dlq = topicName(`${where}.dlq`, pipeline.dlq ?? `${source}.dlq`);
    if (target === source) {
      throw new PipelinePropsError(
        `${where}.target`,
        `must differ from its source "${source}", or records loop`,
      );
    }
    if (dlq === source || dlq === target) {
      throw new PipelinePropsError(`${where}.dlq`, `must differ from its source and target, got "${dlq}"`);
    }
    if (knownSourceTopics !== undefined && !knownSourceTopics.includes(source)) {
      throw new PipelinePropsError(
        `${where}.source`,
        `"${source}" has no pipeline in the processor's code (it knows ${knownSourceTopics.map((t) => `"${t}"`).join(", ")}): ` +
          "every record of the topic would be dead-lettered; add a pipeline for it to functions/processor/pipelines.ts " +
          "or remove it from pipelines",
      );
    }
    const consumerGroupId = pipeline.consumerGroupId ?? `${groupPrefix}-${source}`;
    if (!CONSUMER_GROUP_ID.test(consumerGroupId)) {
      throw new PipelinePropsError(
        `${where}.consumerGroupId`,
        `must be 1-200 characters of [a-zA-Z0-9-/*:_+=.@], got "${consumerGroupId}"`,
      );
    }
    return { source, target, dlq, consumerGroupId };
  });

  const sources = new Set<string>();
  const groups = new Set<string>();
  for (const [index, pipeline] of resolved.entries()) {
    if (sources.has(pipeline.source)) {
      throw new PipelinePropsError(`pipelines[${index}].source`, `"${pipeline.source}" is listed twice`);
    }
    if (groups.has(pipeline.consumerGroupId)) {
      throw new PipelinePropsError(
        `pipelines[${index}].consumerGroupId`,
        `"${pipeline.consumerGroupId}" is used twice; each mapping needs its own consumer group`,
      );
    }
    sources.add(pipeline.source);
    groups.add(pipeline.consumerGroupId);
  }
  for (const [index, pipeline] of resolved.entries()) {
    if (sources.has(pipeline.dlq)) {
      throw new PipelinePropsError(
        `pipelines[${index}].dlq`,
        `"${pipeline.dlq}" is also a source topic: dead letters would be consumed again`,
      );
    }
  }
  return resolved;
}

export function validateOnFailure(
  onFailure: OnFailureDestination,
  pipelines: readonly ResolvedPipeline[],
): void {
  if (onFailure.type === "s3") return;
  if (onFailure.type !== "kafka") {
    throw new PipelinePropsError(
      "onFailure.type",
      `must be "s3" or "kafka", got "${(onFailure as { type: unknown }).type}"`,
    );
  }
  const topic = topicName("onFailure.topic", onFailure.topic);
  const clash = pipelines.find((p) => [p.source, p.target, p.dlq].includes(topic));
  if (clash !== undefined) {
    throw new PipelinePropsError(
      "onFailure.topic",
      `"${topic}" is already used by the pipeline of "${clash.source}"; the on-failure topic carries ` +
        "Lambda's metadata format, so keep it apart from source, target and DLQ topics",
    );
  }
}

export function topicName(prop: string, name: string | undefined): string {
  if (name === undefined || !TOPIC_NAME.test(name)) {
    throw new PipelinePropsError(
      prop,
      `must be a Kafka topic name (1-249 of [a-zA-Z0-9._-], not "." or ".."), got "${name}"`,
    );
  }
  return name;
}
