/**
 * The construct's `canary` option: a canary pipeline on topics of its own, with its own mapping on the
 * processor (the user mappings' settings), produce rights only on its target and DLQ topics, and the
 * stack outputs `npm run canary -- --stack <name>` reads.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import { CANARY_STACK_OUTPUTS, KAFKA_CONNECTION_OUTPUTS } from "../../functions/lib/canary/stackOutputs";
import { parseAppConfig } from "../../infra/config";
import {
  KafkaLambdaPipeline,
  type KafkaLambdaPipelineProps,
} from "../../infra/constructs/KafkaLambdaPipeline";
import { KafkaPipelineStack } from "../../infra/KafkaPipelineStack";
import {
  EXISTING_NAT,
  functionEnvironment,
  groupArn,
  mskSource,
  newApp,
  newStack,
  REPO_ROOT,
  roleStatements,
  SECRET_ARN,
  selfManagedSource,
  statementBySid,
  synthPipeline,
  topicArn,
} from "./stacks";

type Mapping = { Properties: Record<string, unknown>; DependsOn?: string[] };

function mappingsByTopic(template: Template): Map<string, Mapping> {
  return new Map(
    (Object.values(template.findResources("AWS::Lambda::EventSourceMapping")) as Mapping[]).map((m) => [
      String((m.Properties.Topics as string[])[0]),
      m,
    ]),
  );
}

function withoutTopicAndGroup(mapping: Mapping | undefined): Record<string, unknown> {
  const {
    Topics: _topics,
    AmazonManagedKafkaEventSourceConfig: _msk,
    SelfManagedKafkaEventSourceConfig: _sm,
    ...rest
  } = mapping?.Properties ?? {};
  return rest;
}

let plain: Template;
let msk: { template: Template; pipeline: KafkaLambdaPipeline; stack: Stack };
let selfManaged: { template: Template; pipeline: KafkaLambdaPipeline; stack: Stack };

beforeAll(() => {
  plain = synthPipeline((stack) => ({ source: mskSource(stack) })).template;
  msk = synthPipeline((stack) => ({ source: mskSource(stack), canary: true }));
  selfManaged = synthPipeline((stack) => ({
    source: selfManagedSource(stack, {}, false),
    pipelines: [{ source: "employees" }],
    canary: { topic: "ops.canary" },
  }));
}, 120_000);

describe("without the canary option", () => {
  it("deploys no canary: no mapping, no CANARY_TOPIC, no canary output", () => {
    expect([...mappingsByTopic(plain).keys()].sort()).toEqual(["employees", "user-events"]);
    expect(functionEnvironment(plain, "PipelineProcessor")).not.toHaveProperty("CANARY_TOPIC");
  });
});

describe("canary: true (MSK)", () => {
  const CANARY = "Test.canary";

  it("maps <stackName>.canary to the processor with the user mappings' settings and a group of its own", () => {
    const mappings = mappingsByTopic(msk.template);
    const canary = mappings.get(CANARY);

    expect([...mappings.keys()].sort()).toEqual([CANARY, "employees", "user-events"]);
    expect(canary?.Properties.AmazonManagedKafkaEventSourceConfig).toEqual({
      ConsumerGroupId: `Test-${CANARY}`,
    });
    expect(withoutTopicAndGroup(canary)).toEqual(withoutTopicAndGroup(mappings.get("employees")));
    expect(canary?.DependsOn).toEqual(
      expect.arrayContaining([expect.stringMatching(/ProcessorRoleDefaultPolicy/)]),
    );
  });

  it("tells the function its canary topic, and counts it among the mapped topics", () => {
    const environment = functionEnvironment(msk.template, "PipelineProcessor");

    expect(environment.CANARY_TOPIC).toBe(CANARY);
    expect(environment.SOURCE_TOPICS).toBe(`employees,user-events,${CANARY}`);
    // Not a user pipeline: the function derives the canary's target and DLQ topics itself.
    expect(JSON.parse(String(environment.TOPIC_OVERRIDES))).not.toHaveProperty(CANARY);
  });

  it("lets the processor write the canary's target and DLQ topics, never its source topic", () => {
    const produce = statementBySid(msk.template, "ProduceToTargetAndDlqTopics");

    expect(produce?.Resource).toEqual(
      expect.arrayContaining([topicArn(`${CANARY}.out`), topicArn(`${CANARY}.dlq`)]),
    );
    expect(produce?.Resource).not.toContain(topicArn(CANARY));
    expect(produce?.Resource).toHaveLength(6);
  });

  it("lets the mapping read the canary topic and commit its group, and nothing else new", () => {
    expect(statementBySid(msk.template, "ReadCanaryTopic")).toEqual({
      Sid: "ReadCanaryTopic",
      Effect: "Allow",
      Action: ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"],
      Resource: topicArn(CANARY),
    });
    expect(statementBySid(msk.template, "CommitCanaryConsumerGroup")).toEqual({
      Sid: "CommitCanaryConsumerGroup",
      Effect: "Allow",
      Action: ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"],
      Resource: groupArn(`Test-${CANARY}`),
    });
    const sids = (template: Template) => roleStatements(template, "PipelineProcessorRole").map((s) => s.Sid);
    expect(sids(msk.template).filter((sid) => !sids(plain).includes(sid))).toEqual([
      "ReadCanaryTopic",
      "CommitCanaryConsumerGroup",
    ]);
  });

  it("gives the redrive no canary topic: canary dead letters are never replayed", () => {
    const redrive = statementBySid(msk.template, "RedriveWriteSourceTopics");

    expect(redrive?.Resource).toEqual([topicArn("employees"), topicArn("user-events")]);
  });

  it("alarms when the canary's mapping cannot poll, like any other mapping", () => {
    expect(msk.pipeline.alarms.mappingErrors.has(CANARY)).toBe(true);
    expect(msk.pipeline.eventSourceMappings.has(CANARY)).toBe(false);
  });

  it("exposes the outputs the canary tool reads, the Kafka connection included", () => {
    const outputs = msk.pipeline.canary?.outputs ?? {};

    expect(Object.keys(outputs).sort()).toEqual(
      [
        ...Object.values(CANARY_STACK_OUTPUTS),
        KAFKA_CONNECTION_OUTPUTS.KAFKA_BROKERS,
        KAFKA_CONNECTION_OUTPUTS.KAFKA_SSL,
        KAFKA_CONNECTION_OUTPUTS.KAFKA_AUTH,
      ].sort(),
    );
    expect(outputs).toMatchObject({
      CanaryTopic: CANARY,
      CanaryTargetTopic: `${CANARY}.out`,
      CanaryDlqTopic: `${CANARY}.dlq`,
      KafkaAuth: "iam",
      KafkaSsl: "true",
      FailureKeyName: "partition",
      ArchivePrefix: "dead-letters",
    });
  });
});

describe("canary: { topic } (self-managed SCRAM)", () => {
  it("maps the named topic with the mapping's own credentials and no MSK statement", () => {
    const canary = mappingsByTopic(selfManaged.template).get("ops.canary");

    expect(canary?.Properties.SelfManagedKafkaEventSourceConfig).toEqual({
      ConsumerGroupId: "Test-ops.canary",
    });
    expect(canary?.Properties.SourceAccessConfigurations).toEqual([
      { Type: "SASL_SCRAM_512_AUTH", URI: SECRET_ARN },
    ]);
    expect(statementBySid(selfManaged.template, "ReadCanaryTopic")).toBeUndefined();
    expect(functionEnvironment(selfManaged.template, "PipelineProcessor").CANARY_TOPIC).toBe("ops.canary");
  });

  it("outputs the SCRAM secret's ARN, so the tool connects the way the function does", () => {
    expect(selfManaged.pipeline.canary?.outputs).toMatchObject({
      KafkaAuth: "scram-sha-512",
      KafkaSaslSecretArn: SECRET_ARN,
      KafkaBootstrapBrokers: "kafka-1.example.com:9096,kafka-2.example.com:9096",
    });
  });
});

describe("canary validation", () => {
  const build = (extra: Partial<KafkaLambdaPipelineProps>) => () =>
    synthPipeline((stack) => ({ source: mskSource(stack), awsServiceAccess: EXISTING_NAT, ...extra }));

  it.each<[string, Partial<KafkaLambdaPipelineProps>, RegExp]>([
    [
      "a topic that is no Kafka topic name",
      { canary: { topic: "no spaces" } },
      /canary.topic must be a Kafka topic name/,
    ],
    [
      "a user pipeline writing a canary topic",
      { canary: { topic: "x.canary" }, pipelines: [{ source: "employees", target: "x.canary.out" }] },
      /"x.canary" needs "x.canary.out", which the pipeline of "employees" uses/,
    ],
    [
      "a user pipeline reading the canary topic",
      { canary: { topic: "employees" }, pipelines: [{ source: "employees" }] },
      /the canary's topics must be its own/,
    ],
    [
      "the on-failure topic",
      { canary: { topic: "x.canary" }, onFailure: { type: "kafka", topic: "x.canary.dlq" } },
      /the on-failure topic/,
    ],
    [
      "a value that is not true, false or an object",
      { canary: "yes" as unknown as boolean },
      /canary must be true, false/,
    ],
  ])("refuses %s", (_case, extra, message) => {
    expect(build(extra)).toThrow(message);
  });

  it("accepts canary in the app config, and refuses a typo there", () => {
    const base = JSON.parse(readFileSync(path.join(REPO_ROOT, "infra/examples/msk.json"), "utf8"));

    expect(parseAppConfig({ ...base, canary: true }, "test").canary).toBe(true);
    expect(parseAppConfig({ ...base, canary: { topic: "ops.canary" } }, "test").canary).toEqual({
      topic: "ops.canary",
    });
    expect(() => parseAppConfig({ ...base, canary: { topics: "x" } }, "test")).toThrow(
      /kafkaPipeline.canary/,
    );
  });
});

describe("the deployable stack with canary: true", () => {
  let stack: KafkaPipelineStack;

  beforeAll(() => {
    const base = JSON.parse(readFileSync(path.join(REPO_ROOT, "infra/examples/msk.json"), "utf8"));
    const config = parseAppConfig({ ...base, canary: true }, "test");
    stack = new KafkaPipelineStack(newApp(), config.stackName, { config });
  }, 120_000);

  it("emits every output the canary tool reads, under its fixed name", () => {
    const outputs = Object.keys(Template.fromStack(stack).findOutputs("*"));

    expect(outputs).toEqual(
      expect.arrayContaining([
        ...Object.values(CANARY_STACK_OUTPUTS),
        KAFKA_CONNECTION_OUTPUTS.KAFKA_BROKERS,
        KAFKA_CONNECTION_OUTPUTS.KAFKA_AUTH,
        KAFKA_CONNECTION_OUTPUTS.KAFKA_SSL,
        "RedriveFunctionName",
      ]),
    );
  });

  it("stays clean under cdk-nag, and so does a self-managed canary", () => {
    const scram = newStack("ScramCanary");
    new KafkaLambdaPipeline(scram, "Pipeline", {
      source: selfManagedSource(scram),
      awsServiceAccess: { type: "create-endpoints", routeTableIds: ["rtb-0a1b2c3d4e5f60718"] },
      canary: true,
    });

    for (const scope of [stack, scram]) {
      const report = new AwsSolutionsChecks().validateScope(scope);
      expect(report.violations.map((v) => v.ruleName)).toEqual([]);
    }
  });
});
