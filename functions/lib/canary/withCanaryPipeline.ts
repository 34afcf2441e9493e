import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Config } from "../config";
import { ConfigError } from "../core/errors";
import type { Pipeline } from "../core/pipeline";
import { dynamoClientConfig } from "../lambda/createProcessor";
import { createCanaryPipeline } from "./canaryPipeline";
import { canaryTopics } from "./canaryRecord";
import { DynamoCanaryDeliveries } from "./DynamoCanaryDeliveries";

/**
 * The deployment's pipelines plus the canary pipeline when CANARY_TOPIC is set (the construct's
 * `canary` option), with its own DynamoDB client, built once per container like the others. A canary
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
  const deliveries = new DynamoCanaryDeliveries({
    client: new DynamoDBClient(dynamoClientConfig(config)),
    table: config.tables.attempts,
  });
  return [...pipelines, createCanaryPipeline({ sourceTopic: topic, deliveries })];
}
