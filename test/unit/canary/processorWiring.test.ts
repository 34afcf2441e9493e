import { describe, expect, it } from "vitest";
import { withCanaryPipeline } from "../../../functions/lib/canary/withCanaryPipeline";
import { loadConfig } from "../../../functions/lib/config";
import { ConfigError } from "../../../functions/lib/core/errors";
import { definePipeline } from "../../../functions/lib/core/pipeline";
import { checkSourceTopics } from "../../../functions/lib/lambda/createProcessor";
import { pipelines } from "../../../functions/processor/pipelines";

describe("CANARY_TOPIC", () => {
  it("is off unless set", () => {
    expect(loadConfig({}).canary).toEqual({ topic: undefined });
    expect(withCanaryPipeline(loadConfig({}), pipelines)).toBe(pipelines);
  });

  it("adds the canary pipeline after the user's, so INIT accepts the canary topic in SOURCE_TOPICS", () => {
    const config = loadConfig({
      CANARY_TOPIC: "shop.canary",
      SOURCE_TOPICS: "employees,user-events,shop.canary",
    });

    const all = withCanaryPipeline(config, pipelines);

    expect(all.map((p) => [p.sourceTopic, p.targetTopic, p.dlqTopic])).toEqual([
      ["employees", "employees.processed", "employees.dlq"],
      ["user-events", "user-events.processed", "user-events.dlq"],
      ["card-payments", "card-payments.processed", "card-payments.dlq"],
      ["shop.canary", "shop.canary.out", "shop.canary.dlq"],
    ]);
    expect(() => checkSourceTopics(config, all)).not.toThrow();
    expect(() => checkSourceTopics(config, pipelines)).toThrow(
      /names topics without a pipeline: shop.canary/,
    );
  });

  it("refuses a canary topic a user pipeline reads or writes, and a name Kafka refuses", () => {
    const clashing = definePipeline({
      sourceTopic: "orders",
      targetTopic: "shop.canary.out",
      schema: { "~standard": { version: 1, vendor: "test", validate: (value: unknown) => ({ value }) } },
      transform: (value: unknown) => value,
    });

    expect(() => withCanaryPipeline(loadConfig({ CANARY_TOPIC: "shop.canary" }), [clashing])).toThrow(
      /CANARY_TOPIC "shop.canary" collides with the topics of the pipeline of "orders"/,
    );
    expect(() => loadConfig({ CANARY_TOPIC: "no spaces" })).toThrow(ConfigError);
    expect(() => loadConfig({ CANARY_TOPIC: "no spaces" })).toThrow(
      /^CANARY_TOPIC must be a Kafka topic name/,
    );
  });
});
