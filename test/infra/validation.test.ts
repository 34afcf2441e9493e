import { App, Duration, Stack } from "aws-cdk-lib";
import { StartingPosition } from "aws-cdk-lib/aws-lambda";
import * as sns from "aws-cdk-lib/aws-sns";
import { describe, expect, it } from "vitest";
import { PipelinePropsError } from "../../infra/constructs/errors";
import {
  KafkaLambdaPipeline,
  type KafkaLambdaPipelineProps,
} from "../../infra/constructs/KafkaLambdaPipeline";
import { EXISTING_NAT, FEATURE_FLAGS, mskSource, newStack, selfManagedSource } from "./stacks";

type PropsFor = (stack: Stack) => KafkaLambdaPipelineProps;

const msk =
  (extra: Partial<KafkaLambdaPipelineProps> = {}): PropsFor =>
  (stack) => ({ source: mskSource(stack), awsServiceAccess: EXISTING_NAT, ...extra });

// Every case fails in the constructor, before any resource is built, so the table runs in milliseconds.
const cases: Array<[string, PropsFor, string, RegExp]> = [
  ["on-demand pollers", msk({ pollers: { mode: "on-demand" } }), "pollers.mode", /only in provisioned mode/],
  [
    "more minimum than maximum pollers",
    msk({ pollers: { mode: "provisioned", minimumPollers: 5, maximumPollers: 2 } }),
    "pollers.minimumPollers",
    /must not exceed pollers.maximumPollers \(2\)/,
  ],
  [
    "too many pollers",
    msk({ pollers: { mode: "provisioned", maximumPollers: 2001 } }),
    "pollers.maximumPollers",
    /from 1 to 2000, got 2001/,
  ],
  ["an empty batch", msk({ batchSize: 0 }), "batchSize", /from 1 to 10000, got 0/],
  ["a huge batch", msk({ batchSize: 10_001 }), "batchSize", /got 10001/],
  [
    "a long batching window",
    msk({ maxBatchingWindow: Duration.seconds(301) }),
    "maxBatchingWindow",
    /0 and 300/,
  ],
  [
    "a sub-second window",
    msk({ maxBatchingWindow: Duration.millis(500) }),
    "maxBatchingWindow",
    /whole seconds/,
  ],
  ["retries below -1", msk({ retryAttempts: -2 }), "retryAttempts", /-1 \(infinite\) or 0..10000, got -2/],
  ["fractional retries", msk({ retryAttempts: 1.5 }), "retryAttempts", /got 1.5/],
  [
    "a record age under a minute",
    msk({ maxRecordAge: Duration.seconds(30) }),
    "maxRecordAge",
    /60 seconds and 7 days/,
  ],
  ["a record age over 7 days", msk({ maxRecordAge: Duration.days(8) }), "maxRecordAge", /got 8 days/],
  ["no pipelines", msk({ pipelines: [] }), "pipelines", /at least one source topic/],
  [
    "a duplicate source",
    msk({ pipelines: [{ source: "a" }, { source: "a", consumerGroupId: "other" }] }),
    "pipelines[1].source",
    /listed twice/,
  ],
  [
    "an invalid topic name",
    msk({ pipelines: [{ source: "bad topic" }] }),
    "pipelines[0].source",
    /Kafka topic name/,
  ],
  [
    "a target equal to its source",
    msk({ pipelines: [{ source: "a", target: "a" }] }),
    "pipelines[0].target",
    /records loop/,
  ],
  [
    "a DLQ equal to the target",
    msk({ pipelines: [{ source: "a", target: "b", dlq: "b" }] }),
    "pipelines[0].dlq",
    /differ from its source and target/,
  ],
  [
    "a DLQ that another pipeline consumes",
    msk({ pipelines: [{ source: "a", dlq: "b" }, { source: "b" }] }),
    "pipelines[0].dlq",
    /consumed again/,
  ],
  [
    "a shared consumer group",
    msk({
      pipelines: [
        { source: "a", consumerGroupId: "g" },
        { source: "b", consumerGroupId: "g" },
      ],
    }),
    "pipelines[1].consumerGroupId",
    /its own consumer group/,
  ],
  [
    "a consumer group with spaces",
    msk({ pipelines: [{ source: "a", consumerGroupId: "my group" }] }),
    "pipelines[0].consumerGroupId",
    /1-200 characters/,
  ],
  [
    "an on-failure topic that is a DLQ",
    msk({ onFailure: { type: "kafka", topic: "employees.dlq" } }),
    "onFailure.topic",
    /keep it apart/,
  ],
  [
    "a malformed cluster ARN",
    (stack) => ({
      source: mskSource(stack, { clusterArn: "arn:aws:kafka:eu-west-1:111122223333:topic/x" }),
      awsServiceAccess: EXISTING_NAT,
    }),
    "source.clusterArn",
    /MSK cluster ARN/,
  ],
  [
    "MSK brokers without ports",
    (stack) => ({ source: mskSource(stack, { bootstrapBrokers: "b-1.example.com" }) }),
    "source.bootstrapBrokers",
    /host:port/,
  ],
  [
    "MSK without security groups",
    (stack) => ({ source: mskSource(stack, { securityGroups: [] }) }),
    "source.securityGroups",
    /at least one security group/,
  ],
  [
    "self-managed without brokers",
    (stack) => ({ source: selfManagedSource(stack, { bootstrapServers: [] }) }),
    "source.bootstrapServers",
    /at least one broker/,
  ],
  [
    "self-managed with a VPC but no subnets",
    (stack) => ({ source: selfManagedSource(stack, { vpcSubnets: undefined }) }),
    "source.vpcSubnets",
    /required with source.vpc/,
  ],
  [
    "self-managed subnets without a VPC",
    (stack) => ({ source: selfManagedSource(stack, { vpc: undefined }) }),
    "source.vpc",
    /required when vpcSubnets or securityGroups/,
  ],
  [
    "an archive prefix under the on-failure prefix",
    msk({ archivePrefix: "aws/lambda/mine" }),
    "archivePrefix",
    /on-failure destination writes/,
  ],
  ["an archive prefix with spaces", msk({ archivePrefix: "dead letters" }), "archivePrefix", /key prefix/],
  [
    "infrequent access before 30 days",
    msk({ archiveLifecycle: { transitionToInfrequentAccessAfter: Duration.days(10) } }),
    "archiveLifecycle.transitionToInfrequentAccessAfter",
    /at least 30 days/,
  ],
  [
    "expiry before the Glacier transition",
    msk({ archiveLifecycle: { expireAfter: Duration.days(60) } }),
    "archiveLifecycle.expireAfter",
    /after the Glacier transition/,
  ],
  ["a 5-second timeout", msk({ timeout: Duration.seconds(5) }), "timeout", /10 seconds and 14 minutes/],
  [
    "a timeout over the 14 minutes Kafka mappings invoke",
    msk({ timeout: Duration.minutes(15) }),
    "timeout",
    /Kafka mappings invoke functions of at most 14/,
  ],
  [
    "a function in a VPC without a way to S3, DynamoDB and Secrets Manager",
    (stack) => ({ source: mskSource(stack) }),
    "awsServiceAccess",
    /required when the functions run in a VPC.*NAT gateway or VPC endpoints/,
  ],
  [
    "endpoints without route tables",
    msk({ awsServiceAccess: { type: "create-endpoints", routeTableIds: [] } }),
    "awsServiceAccess.routeTableIds",
    /route tables/,
  ],
  [
    "a route table id that is not one",
    msk({ awsServiceAccess: { type: "create-endpoints", routeTableIds: ["subnet-0a1b2c3d4e5f60718"] } }),
    "awsServiceAccess.routeTableIds",
    /rtb-0123456789abcdef0/,
  ],
  [
    "network access for functions outside any VPC",
    (stack) => ({ source: selfManagedSource(stack, {}, false), awsServiceAccess: EXISTING_NAT }),
    "awsServiceAccess",
    /only applies when the functions run in a VPC/,
  ],
  [
    "Glacier less than 30 days after infrequent access",
    msk({
      archiveLifecycle: {
        transitionToInfrequentAccessAfter: Duration.days(100),
        transitionToGlacierAfter: Duration.days(110),
      },
    }),
    "archiveLifecycle.transitionToGlacierAfter",
    /at least 30 days after the infrequent-access transition/,
  ],
  [
    "Glacier while the index still lists the dead letter",
    msk({
      deadLetterRetention: Duration.days(90),
      archiveLifecycle: { transitionToGlacierAfter: Duration.days(90) },
    }),
    "archiveLifecycle.transitionToGlacierAfter",
    /at least 7 days after the dead-letter index's retention.*must stay readable as long as the index lists it/,
  ],
  [
    "a fractional index retention",
    msk({ deadLetterRetention: Duration.hours(36) }),
    "deadLetterRetention",
    /integer/,
  ],
  [
    "an SDK request timeout as long as the invocation",
    msk({ timeout: Duration.seconds(30), sdkRequestTimeout: Duration.seconds(30) }),
    "sdkRequestTimeout",
    /shorter than the processor's timeout/,
  ],
  [
    "a source topic the processor has no pipeline for",
    msk({ knownSourceTopics: ["employees"], pipelines: [{ source: "employees" }, { source: "orders" }] }),
    "pipelines[1].source",
    /"orders" has no pipeline in the processor's code \(it knows "employees"\)/,
  ],
  ["64 MB of memory", msk({ memorySize: 64 }), "memorySize", /from 128 to 10240/],
  [
    "an unknown failure key name",
    msk({ failureKeyName: "key" as never }),
    "failureKeyName",
    /partition, topic-partition/,
  ],
  ["a reserved namespace", msk({ metricsNamespace: "AWS/Lambda" }), "metricsNamespace", /reserved/],
  ["an invalid alarm email", msk({ alarmEmail: "oncall" }), "alarmEmail", /email address/],
  [
    "AT_TIMESTAMP",
    msk({ startingPosition: StartingPosition.AT_TIMESTAMP }),
    "startingPosition",
    /TRIM_HORIZON or LATEST/,
  ],
  ["a zero lag threshold", msk({ offsetLagThreshold: 0 }), "offsetLagThreshold", /from 1/],
  ["redrive: true", msk({ redrive: true as never }), "redrive", /must be false .* or an object/],
  [
    "a redrive timeout that leaves no time after the 15 s it keeps back",
    msk({ redrive: { timeout: Duration.seconds(30) } }),
    "redrive.timeout",
    /between 1 and 15 minutes .*got 30 seconds/,
  ],
  [
    "a redrive timeout over Lambda's 15 minutes",
    msk({ redrive: { timeout: Duration.minutes(16) } }),
    "redrive.timeout",
    /got 16 minutes/,
  ],
  ["64 MB for the redrive", msk({ redrive: { memorySize: 64 } }), "redrive.memorySize", /from 128 to 10240/],
  [
    "no redrive allowed",
    msk({ redrive: { maxRedrives: 0 } }),
    "redrive.maxRedrives",
    /from 1 to 1000, got 0/,
  ],
  ["a fractional redrive rate", msk({ redrive: { ratePerSecond: 2.5 } }), "redrive.ratePerSecond", /got 2.5/],
  [
    "a redrive batch over 500",
    msk({ redrive: { batchSize: 501 } }),
    "redrive.batchSize",
    /from 1 to 500, got 501/,
  ],
];

function captureError(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("KafkaLambdaPipeline refuses props that cannot work", () => {
  it.each(cases)("%s", (_name, propsFor, prop, message) => {
    // Prepare
    const stack = newStack();
    const props = propsFor(stack);

    // Act
    const error = captureError(() => new KafkaLambdaPipeline(stack, "Pipeline", props));

    // Assert
    expect(error).toBeInstanceOf(PipelinePropsError);
    expect((error as PipelinePropsError).prop).toBe(prop);
    expect((error as Error).message).toMatch(/^KafkaLambdaPipeline: /);
    expect((error as Error).message).toMatch(message);
  });

  it("refuses an email subscription on a topic it does not own", () => {
    const stack = newStack();
    const alarmTopic = sns.Topic.fromTopicArn(stack, "Topic", "arn:aws:sns:eu-west-1:111122223333:oncall");

    const construct = () =>
      new KafkaLambdaPipeline(stack, "Pipeline", {
        source: mskSource(stack),
        awsServiceAccess: EXISTING_NAT,
        alarmTopic,
        alarmEmail: "oncall@example.com",
      });

    expect(construct).toThrow(/alarmEmail cannot be combined with alarmTopic/);
  });

  it("refuses an MSK cluster in another region than the stack's", () => {
    const stack = new Stack(new App({ context: { ...FEATURE_FLAGS } }), "Elsewhere", {
      env: { region: "us-east-1" },
    });

    const construct = () =>
      new KafkaLambdaPipeline(stack, "Pipeline", {
        source: mskSource(stack),
        awsServiceAccess: EXISTING_NAT,
      });

    expect(construct).toThrow(/source.clusterArn is in eu-west-1, but the stack deploys to us-east-1/);
  });

  it("refuses a missing source with the two shapes it accepts", () => {
    const construct = () => new KafkaLambdaPipeline(newStack(), "Pipeline", {} as KafkaLambdaPipelineProps);

    expect(construct).toThrow(/source is required: \{ type: "msk"/);
  });
});
