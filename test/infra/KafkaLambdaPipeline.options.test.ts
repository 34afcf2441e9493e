import * as path from "node:path";
import { CfnParameter, RemovalPolicy } from "aws-cdk-lib";
import { Match } from "aws-cdk-lib/assertions";
import { StartingPosition } from "aws-cdk-lib/aws-lambda";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as sns from "aws-cdk-lib/aws-sns";
import { beforeAll, describe, expect, it } from "vitest";
import {
  mskSource,
  policyStatements,
  REPO_ROOT,
  roleStatements,
  type Synthesized,
  statementBySid,
  synthPipeline,
  topicArn,
} from "./stacks";

let tokenArn: Synthesized;
let throwAway: Synthesized;
let shared: Synthesized;

beforeAll(() => {
  tokenArn = synthPipeline((stack) => ({
    source: mskSource(stack, {
      clusterArn: new CfnParameter(stack, "ClusterArn", { type: "String" }).valueAsString,
    }),
    pipelines: [{ source: "orders" }],
    onFailure: { type: "kafka", topic: "pipeline.on-failure" },
    pollers: {
      mode: "provisioned",
      minimumPollers: 2,
      maximumPollers: 8,
      pollerGroupName: "shared-pollers",
    },
    startingPosition: StartingPosition.LATEST,
    archivePrefix: "archive/dlq/",
  }));
  throwAway = synthPipeline((stack) => ({
    source: mskSource(stack),
    removalPolicy: RemovalPolicy.DESTROY,
    alarmEmail: "oncall@example.com",
  }));
  shared = synthPipeline(
    (stack) => ({
      source: mskSource(stack),
      alarmTopic: sns.Topic.fromTopicArn(stack, "Oncall", "arn:aws:sns:eu-west-1:111122223333:oncall"),
      serverAccessLogsBucket: s3.Bucket.fromBucketName(stack, "Logs", "central-access-logs"),
      // Only the processor and the function added below.
      redrive: false,
    }),
    {
      extend: (pipeline) => {
        const second = pipeline.addFunction("Second", {
          description: "a second function",
          entry: path.join(REPO_ROOT, "functions/processor/handler.ts"),
          environment: { ...pipeline.kafkaEnvironment },
        });
        pipeline.grantKafkaProduce(second.role, ["employees.processed"]);
      },
    },
  );
}, 120_000);

describe("an MSK cluster ARN known only at deploy time", () => {
  it("derives topic and group ARNs with intrinsics", () => {
    const read = statementBySid(tokenArn.template, "ReadSourceTopics");

    expect(JSON.stringify(read?.Resource)).toContain('"Fn::Split":[":cluster/",{"Ref":"ClusterArn"}]');
    expect(JSON.stringify(read?.Resource)).toContain(":topic/");
    expect(JSON.stringify(statementBySid(tokenArn.template, "CommitConsumerGroups")?.Resource)).toContain(
      "/Test-orders",
    );
  });

  it("lets the mapping write the Kafka on-failure topic, and nothing under aws/lambda/ in S3", () => {
    const onFailure = statementBySid(tokenArn.template, "WriteOnFailureTopic");

    expect(onFailure?.Action).toEqual(["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"]);
    expect(JSON.stringify(onFailure?.Resource)).toContain("/pipeline.on-failure");
    expect(policyStatements(tokenArn.template).map((s) => s.Sid)).not.toContain("WriteOnFailureBatches");
  });

  it("applies the poller group, starting position and archive prefix", () => {
    tokenArn.template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      ProvisionedPollerConfig: { MinimumPollers: 2, MaximumPollers: 8, PollerGroupName: "shared-pollers" },
      StartingPosition: "LATEST",
      DestinationConfig: { OnFailure: { Destination: "kafka://pipeline.on-failure" } },
    });
    tokenArn.template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ ARCHIVE_PREFIX: "archive/dlq" }) },
    });
    const archive = statementBySid(tokenArn.template, "WriteArchiveObjects")?.Resource as {
      "Fn::Join": [string, unknown[]];
    };
    expect(archive["Fn::Join"][1][1]).toBe("/archive/dlq/*");
  });
});

describe("a throw-away environment (RemovalPolicy.DESTROY)", () => {
  it("deletes the bucket, tables and logs with the stack and drops table deletion protection", () => {
    for (const type of ["AWS::S3::Bucket", "AWS::DynamoDB::Table", "AWS::Logs::LogGroup"]) {
      const resources = Object.values(throwAway.template.findResources(type)) as Array<{
        DeletionPolicy: string;
      }>;
      expect(resources.map((r) => r.DeletionPolicy)).toEqual(resources.map(() => "Delete"));
    }
    throwAway.template.allResourcesProperties("AWS::DynamoDB::Table", { DeletionProtectionEnabled: false });
  });

  it("subscribes the alarm email to the alarm topic", () => {
    throwAway.template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "oncall@example.com",
    });
  });
});

describe("a second function added with addFunction", () => {
  it("gets its own role, log group and network, and only the permissions granted to it", () => {
    shared.template.resourceCountIs("AWS::Lambda::Function", 2);
    shared.template.resourceCountIs("AWS::Logs::LogGroup", 2);
    shared.template.hasResourceProperties("AWS::Lambda::Function", {
      Description: "a second function",
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      VpcConfig: Match.objectLike({ SecurityGroupIds: ["sg-0a1b2c3d4e5f60718"] }),
      Environment: {
        Variables: Match.objectLike({ KAFKA_AUTH: "iam", POWERTOOLS_SERVICE_NAME: "kafka-processor" }),
      },
    });
    const statements = roleStatements(shared.template, "PipelineSecondRole");
    expect(statements.map((s) => s.Sid)).toEqual([
      undefined,
      "ManageVpcNetworkInterfaces",
      "ConnectToCluster",
      "ProduceToTargetAndDlqTopics",
    ]);
    expect(statements.at(-1)?.Resource).toBe(topicArn("employees.processed"));
  });
});

describe("shared alarm topic and access-log bucket", () => {
  it("creates neither a topic, a key nor a log bucket, and alarms notify the given topic", () => {
    shared.template.resourceCountIs("AWS::SNS::Topic", 0);
    shared.template.resourceCountIs("AWS::KMS::Key", 0);
    shared.template.resourceCountIs("AWS::S3::Bucket", 1);
    shared.template.allResourcesProperties("AWS::CloudWatch::Alarm", {
      AlarmActions: ["arn:aws:sns:eu-west-1:111122223333:oncall"],
    });
    shared.template.hasResourceProperties("AWS::S3::Bucket", {
      LoggingConfiguration: { DestinationBucketName: "central-access-logs" },
    });
  });

  it("still produces only to its own topics", () => {
    const processorPolicy = Object.values(
      shared.template.findResources("AWS::IAM::Policy", {
        Properties: { Roles: [{ Ref: Match.stringLikeRegexp("PipelineProcessorRole") }] },
      }),
    )[0] as { Properties: { PolicyDocument: { Statement: Array<Record<string, unknown>> } } };
    const produce = processorPolicy.Properties.PolicyDocument.Statement.find(
      (s) => s.Sid === "ProduceToTargetAndDlqTopics",
    );
    expect([...((produce?.Resource ?? []) as string[])].sort()).toEqual(
      ["employees.processed", "employees.dlq", "user-events.processed", "user-events.dlq"]
        .map(topicArn)
        .sort(),
    );
  });
});
