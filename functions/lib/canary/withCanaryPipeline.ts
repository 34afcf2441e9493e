import type { Config } from "../config";
import { ConfigError } from "../core/errors";
import type { Pipeline } from "../core/pipeline";
import { createDynamoClient } from "../lambda/createProcessor";
import { deferredPort } from "../lambda/deferred";
import { createCanaryPipeline } from "./canaryPipeline";
import { canaryTopics } from "./canaryRecord";
import type { CanaryDeliveries } from "./ports";

/**
 * The deployment's pipelines plus the canary pipeline when CANARY_TOPIC is set (the construct's
 * `canary` option), with its own DynamoDB client, built once per container on the canary's first
 * record (the SDK is not loaded at INIT: `deferred.ts`). A canary
 * topic that a user pipeline also reads or writes fails INIT: the canary must never touch user data.
 */
export function withCanaryPipeline(config: Config, pipelines: readonly Pipeline[]): readonly Pipeline[] {
  const topic = config.canary.topic;
  if (topic === undefined) return pipelines;
  const own = canaryTopics(topic);
  const clash = pipelines.find((p) =>
    [p.sourceTopic, p.targetTopic, p.dlqTopic].some((t) => [own.source, own.target, own.dlq].includes(t)),
  );
  if (clash !== undefined) {
    throw new ConfigError(
      "CANARY_TOPIC",
      `"${topic}" collides with the topics of the pipeline of "${clash.sourceTopic}"; the canary needs topics of its own`,
    );
  }
  const deliveries = deferredPort<CanaryDeliveries>(["count"], async () => {
    const [{ DynamoCanaryDeliveries }, client] = await Promise.all([
      import("../lambda/dynamoAdapters"),
      createDynamoClient(config),
    ]);
    return new DynamoCanaryDeliveries({ client, table: config.tables.attempts });
  });
  return [...pipelines, createCanaryPipeline({ sourceTopic: topic, deliveries })];
}
