/**
 * Builders for the stacks under test. Test files build their stacks once (beforeAll) and assert on
 * the shared templates; only the file that checks the bundle pays for esbuild.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { App, Fn, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import * as cxapi from "aws-cdk-lib/cx-api";
import { loadAppConfig } from "../../infra/config";
import {
  KafkaLambdaPipeline,
  type KafkaLambdaPipelineProps,
} from "../../infra/constructs/KafkaLambdaPipeline";
import type { MskSource, SelfManagedKafkaSource } from "../../infra/constructs/types";
import { KafkaPipelineStack } from "../../infra/KafkaPipelineStack";

export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");

export const CLUSTER_ARN =
  "arn:aws:kafka:eu-west-1:111122223333:cluster/orders-cluster/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9-7";
export const CLUSTER_PATH = "orders-cluster/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9-7";
export const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:kafka/credentials-AbC123";

export function topicArn(topic: string): string {
  return `arn:aws:kafka:eu-west-1:111122223333:topic/${CLUSTER_PATH}/${topic}`;
}

export function groupArn(group: string): string {
  return `arn:aws:kafka:eu-west-1:111122223333:group/${CLUSTER_PATH}/${group}`;
}

/** The feature flags of cdk.json (everything but the pipeline's own settings), so tests synthesize what `cdk synth` does. */
export const FEATURE_FLAGS: Readonly<Record<string, unknown>> = (() => {
  const { kafkaPipeline: _settings, ...flags } = (
    JSON.parse(readFileSync(path.join(REPO_ROOT, "cdk.json"), "utf8")) as { context: Record<string, unknown> }
  ).context;
  return flags;
})();

/**
 * Without `bundle`, the app skips asset bundling (CDK's own `aws:cdk:bundling-stacks` switch): the
 * template is the same, minus seconds of esbuild per stack. Only tests about the bundle need it.
 * CDK's built-in CloudFormation schema check is left to `npm run synth`: loading the schemas costs
 * each test worker about 8 seconds.
 */
export function newApp(options: { bundle?: boolean; context?: Record<string, unknown> } = {}): App {
  return new App({
    builtinCloudFormationValidation: false,
    context: {
      ...FEATURE_FLAGS,
      [cxapi.BUNDLING_STACKS]: options.bundle === true ? ["**"] : [],
      ...options.context,
    },
  });
}

export function newStack(id = "Test", options: { bundle?: boolean } = {}): Stack {
  return new Stack(newApp(options), id);
}

function network(stack: Stack) {
  const vpc = ec2.Vpc.fromVpcAttributes(stack, "Vpc", {
    vpcId: "vpc-0a1b2c3d4e5f60718",
    availabilityZones: Fn.getAzs(),
  });
  const subnets = ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"].map((id, i) =>
    ec2.Subnet.fromSubnetId(stack, `Subnet${i}`, id),
  );
  const group = ec2.SecurityGroup.fromSecurityGroupId(stack, "Sg", "sg-0a1b2c3d4e5f60718", {
    mutable: false,
  });
  return { vpc, vpcSubnets: { subnets }, securityGroups: [group] };
}

export function mskSource(stack: Stack, overrides: Partial<MskSource> = {}): MskSource {
  return {
    type: "msk",
    clusterArn: CLUSTER_ARN,
    bootstrapBrokers: "b-1.orders.abc123.c7.kafka.eu-west-1.amazonaws.com:9098",
    ...network(stack),
    ...overrides,
  };
}

export function selfManagedSource(
  stack: Stack,
  overrides: Partial<SelfManagedKafkaSource> = {},
  withVpc = true,
): SelfManagedKafkaSource {
  return {
    type: "self-managed",
    bootstrapServers: ["kafka-1.example.com:9096", "kafka-2.example.com:9096"],
    authentication: "sasl-scram-512",
    secret: secretsmanager.Secret.fromSecretCompleteArn(stack, "KafkaSecret", SECRET_ARN),
    ...(withVpc ? network(stack) : {}),
    ...overrides,
  };
}

/** What tests that are not about the network path say: the VPC already has a NAT gateway. */
export const EXISTING_NAT = { type: "nat-or-existing-endpoints" } as const;

/** `props`, saying the network path exists when the functions run in a VPC and the test did not say. */
export function withNetworkPath(props: KafkaLambdaPipelineProps): KafkaLambdaPipelineProps {
  const inVpc = props.source.vpc !== undefined;
  return inVpc && props.awsServiceAccess === undefined ? { ...props, awsServiceAccess: EXISTING_NAT } : props;
}

export interface Synthesized {
  readonly stack: Stack;
  readonly pipeline: KafkaLambdaPipeline;
  readonly template: Template;
}

export function synthPipeline(
  build: (stack: Stack) => KafkaLambdaPipelineProps,
  options: { bundle?: boolean; extend?: (pipeline: KafkaLambdaPipeline) => void } = {},
): Synthesized {
  const stack = newStack("Test", options);
  const props = build(stack);
  const pipeline = new KafkaLambdaPipeline(stack, "Pipeline", withNetworkPath(props));
  options.extend?.(pipeline);
  return { stack, pipeline, template: Template.fromStack(stack) };
}

/** The deployable stack, built from a config file the way `cdk synth` builds it. */
export function exampleStack(file: string): KafkaPipelineStack {
  const app = newApp({ context: { kafkaPipelineConfigFile: file } });
  const config = loadAppConfig(app.node, REPO_ROOT);
  return new KafkaPipelineStack(app, config.stackName, { config });
}

/**
 * A statement with its Action and Resource lists sorted: the `minimizePolicies` feature flag sorts (and
 * merges) what the construct adds, so tests compare sets, not the order of the calls that built them.
 */
function normalized(statement: Record<string, unknown>): Record<string, unknown> {
  const sort = (value: unknown) =>
    Array.isArray(value)
      ? [...value].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))
      : value;
  return {
    ...statement,
    ...(statement.Action === undefined ? {} : { Action: sort(statement.Action) }),
    ...(statement.Resource === undefined ? {} : { Resource: sort(statement.Resource) }),
  };
}

/** The statements of every IAM policy in the template, flattened and {@link normalized}. */
export function policyStatements(template: Template): Array<Record<string, unknown>> {
  return Object.values(template.findResources("AWS::IAM::Policy")).flatMap((policy) =>
    (
      policy as { Properties: { PolicyDocument: { Statement: Array<Record<string, unknown>> } } }
    ).Properties.PolicyDocument.Statement.map(normalized),
  );
}

export function statementBySid(template: Template, sid: string): Record<string, unknown> | undefined {
  return policyStatements(template).find((statement) => statement.Sid === sid);
}

/** The statements of the policy of one role, named by the start of its logical id ("PipelineRedriveRole"). */
export function roleStatements(template: Template, rolePrefix: string): Array<Record<string, unknown>> {
  const policies = template.findResources("AWS::IAM::Policy", {
    Properties: { Roles: [{ Ref: Match.stringLikeRegexp(`^${rolePrefix}`) }] },
  });
  return Object.values(policies).flatMap((policy) =>
    (
      policy as { Properties: { PolicyDocument: { Statement: Array<Record<string, unknown>> } } }
    ).Properties.PolicyDocument.Statement.map(normalized),
  );
}

/** The properties of the function whose logical id starts with `prefix` ("PipelineProcessor"). */
export function functionProperties(template: Template, prefix: string): Record<string, unknown> {
  const match = Object.entries(template.findResources("AWS::Lambda::Function")).find(([logicalId]) =>
    logicalId.startsWith(prefix),
  );
  if (match === undefined) throw new Error(`no function ${prefix}* in the template`);
  return (match[1] as { Properties: Record<string, unknown> }).Properties;
}

export function functionEnvironment(template: Template, prefix: string): Record<string, unknown> {
  return (functionProperties(template, prefix) as { Environment: { Variables: Record<string, unknown> } })
    .Environment.Variables;
}
