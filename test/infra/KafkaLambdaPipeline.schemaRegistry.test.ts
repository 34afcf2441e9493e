import type { Stack } from "aws-cdk-lib";
import { Match } from "aws-cdk-lib/assertions";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import { PipelinePropsError } from "../../infra/constructs/errors";
import {
  KafkaLambdaPipeline,
  type KafkaLambdaPipelineProps,
} from "../../infra/constructs/KafkaLambdaPipeline";
import type { MappingSchemaRegistry } from "../../infra/constructs/types";
import {
  EXISTING_NAT,
  mskSource,
  newStack,
  roleStatements,
  type Synthesized,
  selfManagedSource,
  statementBySid,
  synthPipeline,
} from "./stacks";

const REGISTRY_ARN = "arn:aws:glue:eu-west-1:111122223333:registry/orders-schemas";
const REGISTRY_SECRET_ARN =
  "arn:aws:secretsmanager:eu-west-1:111122223333:secret:schema-registry/basic-AbC123";
const REGISTRY_CA_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:schema-registry/ca-DeF456";

const glue: MappingSchemaRegistry = {
  type: "glue",
  registryArn: REGISTRY_ARN,
  eventRecordFormat: "JSON",
  validate: ["value"],
};

/** CloudFormation puts it under the source's own Kafka config (MSK's or self-managed's). */
function registryConfig(mapping: Record<string, unknown> | undefined): unknown {
  const kafka = (mapping?.AmazonManagedKafkaEventSourceConfig ??
    mapping?.SelfManagedKafkaEventSourceConfig) as { SchemaRegistryConfig?: unknown } | undefined;
  return kafka?.SchemaRegistryConfig;
}

function mappings(template: Synthesized["template"]): Array<Record<string, unknown>> {
  return Object.values(template.findResources("AWS::Lambda::EventSourceMapping")).map(
    (m) => (m as { Properties: Record<string, unknown> }).Properties,
  );
}

let glueMsk: Synthesized;
let confluent: Synthesized;
let confluentNoAuth: Synthesized;

beforeAll(() => {
  glueMsk = synthPipeline((stack) => ({
    source: mskSource(stack),
    pipelines: [{ source: "orders" }, { source: "payments" }],
    schemaRegistry: glue,
    canary: true,
  }));
  confluent = synthPipeline((stack) => ({
    source: selfManagedSource(stack),
    pipelines: [{ source: "orders" }],
    schemaRegistry: {
      type: "confluent",
      url: "https://psrc-12345.eu-west-1.aws.confluent.cloud",
      eventRecordFormat: "SOURCE",
      validate: ["key", "value"],
      authentication: {
        type: "basic",
        secret: secretsmanager.Secret.fromSecretCompleteArn(stack, "RegistrySecret", REGISTRY_SECRET_ARN),
      },
      rootCaSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, "RegistryCa", REGISTRY_CA_ARN),
    },
  }));
  confluentNoAuth = synthPipeline((stack) => ({
    source: selfManagedSource(stack),
    pipelines: [{ source: "orders" }],
    schemaRegistry: {
      type: "confluent",
      url: "http://registry.internal:8081/apis/ccompat/v7",
      eventRecordFormat: "JSON",
      validate: ["value"],
    },
  }));
}, 120_000);

describe("KafkaLambdaPipeline with a Glue schema registry on the mappings", () => {
  it("sets SchemaRegistryConfig on every user pipeline's provisioned mapping", () => {
    const withRegistry = mappings(glueMsk.template).filter((m) => registryConfig(m) !== undefined);

    expect(withRegistry.map((m) => m.Topics)).toEqual([["orders"], ["payments"]]);
    for (const mapping of withRegistry) {
      expect(registryConfig(mapping)).toEqual({
        SchemaRegistryURI: REGISTRY_ARN,
        EventRecordFormat: "JSON",
        SchemaValidationConfigs: [{ Attribute: "VALUE" }],
      });
      expect(mapping.ProvisionedPollerConfig).toMatchObject({ MinimumPollers: 1 });
    }
  });

  it("leaves the canary's mapping without it: canary records are plain JSON", () => {
    const canary = mappings(glueMsk.template).filter((m) => registryConfig(m) === undefined);

    expect(canary).toHaveLength(1);
    expect(canary[0]?.Topics).toEqual([`${glueMsk.stack.stackName}.canary`]);
  });

  it("grants the Glue reads the mapping makes, on the named registry and its schemas only, once", () => {
    const glueStatements = roleStatements(glueMsk.template, "PipelineProcessorRole").filter((s) =>
      JSON.stringify(s.Action).includes("glue:"),
    );

    expect(glueStatements).toEqual([
      { Sid: "ReadSchemaRegistry", Effect: "Allow", Action: "glue:GetRegistry", Resource: REGISTRY_ARN },
      {
        Sid: "ReadSchemaVersions",
        Effect: "Allow",
        Action: "glue:GetSchemaVersion",
        Resource: [REGISTRY_ARN, "arn:aws:glue:eu-west-1:111122223333:schema/orders-schemas/*"],
      },
    ]);
  });

  it("stays clean under cdk-nag, the schemas' wildcard acknowledged on the processor's role alone", () => {
    const report = new AwsSolutionsChecks().validateScope(glueMsk.stack);

    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
  });
});

describe("KafkaLambdaPipeline with a Confluent-compatible schema registry", () => {
  it("passes the URL, the format, both attributes and the secrets as access configs", () => {
    const [mapping] = mappings(confluent.template);

    expect(registryConfig(mapping)).toEqual({
      SchemaRegistryURI: "https://psrc-12345.eu-west-1.aws.confluent.cloud",
      EventRecordFormat: "SOURCE",
      SchemaValidationConfigs: [{ Attribute: "KEY" }, { Attribute: "VALUE" }],
      AccessConfigs: [
        { Type: "BASIC_AUTH", URI: REGISTRY_SECRET_ARN },
        { Type: "SERVER_ROOT_CA_CERTIFICATE", URI: REGISTRY_CA_ARN },
      ],
    });
  });

  it("lets the processor's role (the mapping's) read the registry's secrets", () => {
    const reads = roleStatements(confluent.template, "PipelineProcessorRole").filter(
      (s) =>
        JSON.stringify(s.Action).includes("secretsmanager:GetSecretValue") &&
        JSON.stringify(s.Resource).includes("schema-registry"),
    );

    expect(reads.flatMap((s) => [s.Resource].flat())).toEqual(
      expect.arrayContaining([REGISTRY_SECRET_ARN, REGISTRY_CA_ARN]),
    );
  });

  it("sends no access config to a registry without authentication, and grants no Glue action", () => {
    const [mapping] = mappings(confluentNoAuth.template);

    expect(registryConfig(mapping)).toEqual({
      SchemaRegistryURI: "http://registry.internal:8081/apis/ccompat/v7",
      EventRecordFormat: "JSON",
      SchemaValidationConfigs: [{ Attribute: "VALUE" }],
    });
    expect(statementBySid(confluentNoAuth.template, "ReadSchemaVersions")).toBeUndefined();
  });

  it("adds nothing to a pipeline without a registry", () => {
    const plain = synthPipeline((stack) => ({ source: mskSource(stack), pipelines: [{ source: "orders" }] }));

    plain.template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      AmazonManagedKafkaEventSourceConfig: { SchemaRegistryConfig: Match.absent() },
    });
  });
});

describe("schemaRegistry refused at synth", () => {
  // A new stack per call: toThrow runs the constructor once per assertion.
  const build =
    (registry: unknown, extra: Partial<KafkaLambdaPipelineProps> = {}) =>
    () => {
      const stack: Stack = newStack();
      return new KafkaLambdaPipeline(stack, "Pipeline", {
        source: mskSource(stack),
        awsServiceAccess: EXISTING_NAT,
        schemaRegistry: registry as MappingSchemaRegistry,
        ...extra,
      });
    };

  it.each<[string, unknown, Partial<KafkaLambdaPipelineProps>, RegExp]>([
    [
      "without provisioned mode",
      glue,
      { pollers: { mode: "on-demand" } },
      /schemaRegistry needs pollers.mode "provisioned", got "on-demand": Lambda validates records against a schema registry only in provisioned mode/,
    ],
    [
      "a registry ARN of another service",
      { ...glue, registryArn: "arn:aws:kafka:eu-west-1:111122223333:cluster/x" },
      {},
      /schemaRegistry.registryArn must be a literal arn:<partition>:glue/,
    ],
    [
      "no attribute to validate",
      { ...glue, validate: [] },
      {},
      /schemaRegistry.validate must list "key", "value" or both/,
    ],
    ["an attribute twice", { ...glue, validate: ["value", "value"] }, {}, /schemaRegistry.validate/],
    [
      "an unknown format",
      { ...glue, eventRecordFormat: "AVRO" },
      {},
      /schemaRegistry.eventRecordFormat must be "JSON" or "SOURCE"/,
    ],
    [
      "a Confluent URL that is not http(s)",
      { type: "confluent", url: "registry:8081", eventRecordFormat: "JSON", validate: ["value"] },
      {},
      /schemaRegistry.url must be an http\(s\) URL/,
    ],
  ])("refuses %s", (_case, registry, extra, message) => {
    const construct = build(registry, extra);

    expect(construct).toThrow(PipelinePropsError);
    expect(construct).toThrow(message);
  });
});
