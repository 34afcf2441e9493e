/** The processor's role on MSK: exact topic, group and cluster ARNs, exact table and bucket grants. */
import { Duration } from "aws-cdk-lib";
import type { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import {
  CLUSTER_ARN,
  groupArn,
  mskSource,
  policyStatements,
  roleStatements,
  statementBySid,
  synthPipeline,
  topicArn,
} from "./stacks";

let template: Template;

beforeAll(() => {
  template = synthPipeline((stack) => ({
    source: mskSource(stack),
    maxRecordAge: Duration.hours(6),
  })).template;
}, 120_000);

function processorStatements(): Array<Record<string, unknown>> {
  return roleStatements(template, "PipelineProcessorRole");
}

describe("IAM (MSK)", () => {
  it("uses no AWS managed policy", () => {
    const roles = Object.values(template.findResources("AWS::IAM::Role")) as Array<{
      Properties: { ManagedPolicyArns?: unknown };
    }>;
    // The processor's and the redrive function's.
    expect(roles).toHaveLength(2);
    for (const role of roles) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it("reads only the source topics and commits only the consumer groups", () => {
    expect(statementBySid(template, "ReadSourceTopics")).toEqual({
      Sid: "ReadSourceTopics",
      Effect: "Allow",
      Action: ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"],
      Resource: [topicArn("employees"), topicArn("user-events")],
    });
    expect(statementBySid(template, "CommitConsumerGroups")).toEqual({
      Sid: "CommitConsumerGroups",
      Effect: "Allow",
      Action: ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"],
      Resource: [groupArn("Test-employees"), groupArn("Test-user-events")],
    });
    expect(statementBySid(template, "ConnectToCluster")?.Resource).toBe(CLUSTER_ARN);
  });

  it("writes only the target and DLQ topics", () => {
    expect(statementBySid(template, "ProduceToTargetAndDlqTopics")).toEqual({
      Sid: "ProduceToTargetAndDlqTopics",
      Effect: "Allow",
      Action: ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"],
      Resource: ["employees.dlq", "employees.processed", "user-events.dlq", "user-events.processed"].map(
        topicArn,
      ),
    });
    const writes = processorStatements().filter((s) =>
      ([] as unknown[]).concat(s.Action).includes("kafka-cluster:WriteData"),
    );
    expect(writes).toHaveLength(1);
  });

  it("puts objects only under the archive prefix and the on-failure destination's prefix", () => {
    const s3Statements = processorStatements().filter((s) => JSON.stringify(s.Action).includes("s3:"));
    expect(s3Statements.map((s) => [s.Sid, s.Action])).toEqual([
      ["WriteArchiveObjects", "s3:PutObject"],
      ["WriteOnFailureBatches", "s3:PutObject"],
      ["ListArchiveForOnFailure", "s3:ListBucket"],
    ]);
    const objectSuffixes = s3Statements
      .filter((s) => s.Action === "s3:PutObject")
      .map((s) => (s.Resource as { "Fn::Join": [string, unknown[]] })["Fn::Join"][1][1]);
    expect(objectSuffixes).toEqual(["/dead-letters/*", "/aws/lambda/*"]);
  });

  it("writes the index and its own attempt and idempotency items in batches and by update, nothing else", () => {
    const calls = ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:UpdateItem"];
    expect(statementBySid(template, "WriteDeadLetterIndex")).toEqual({
      Sid: "WriteDeadLetterIndex",
      Effect: "Allow",
      Action: calls,
      Resource: { "Fn::GetAtt": [expect.stringMatching(/^PipelineDeadLetterTable/), "Arn"] },
    });
    expect(statementBySid(template, "WriteAttemptsAndIdempotencyKeys")).toEqual({
      Sid: "WriteAttemptsAndIdempotencyKeys",
      Effect: "Allow",
      Action: calls,
      Resource: { "Fn::GetAtt": [expect.stringMatching(/^PipelineAttemptsTable/), "Arn"] },
    });
    const dynamodb = processorStatements().flatMap((s) =>
      ([] as unknown[]).concat(s.Action).filter((a) => String(a).startsWith("dynamodb:")),
    );
    expect(new Set(dynamodb)).toEqual(new Set(calls));
  });

  it("is denied the redrive's REDRIVE# runs and ledger in the shared attempts table", () => {
    expect(statementBySid(template, "DenyReplayRunsAndLedger")).toEqual({
      Sid: "DenyReplayRunsAndLedger",
      Effect: "Deny",
      Action: ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:UpdateItem"],
      Resource: { "Fn::GetAtt": [expect.stringMatching(/^PipelineAttemptsTable/), "Arn"] },
      Condition: { "ForAnyValue:StringLike": { "dynamodb:LeadingKeys": ["REDRIVE#*"] } },
    });
  });

  it("lets the mapping list the archive only under the on-failure prefix", () => {
    expect(statementBySid(template, "ListArchiveForOnFailure")).toMatchObject({
      Action: "s3:ListBucket",
      Condition: { StringLikeIfExists: { "s3:prefix": ["aws/lambda/*"] } },
    });
  });

  it('has "*" only where AWS forces it: the VPC network-interface actions of each function', () => {
    const wildcards = policyStatements(template).filter((s) => JSON.stringify(s.Resource).includes('"*"'));
    expect(wildcards.map((s) => s.Sid)).toEqual(["ManageVpcNetworkInterfaces", "ManageVpcNetworkInterfaces"]);
    for (const wildcard of wildcards) {
      expect(wildcard.Action).toEqual(expect.arrayContaining(["ec2:CreateNetworkInterface"]));
      expect(JSON.stringify(wildcard.Action)).not.toMatch(/kafka|s3|dynamodb|secretsmanager/);
    }
  });
});
