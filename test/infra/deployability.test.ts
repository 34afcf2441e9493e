/**
 * Issue 13, "Deployable as it ships": what `cdk synth` accepted but a real account would break. Each
 * test pins the template fact that makes the deployment work (the AWS fact is cited where the
 * construct uses it).
 */
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import {
  exampleStack,
  functionEnvironment,
  mskSource,
  type Synthesized,
  selfManagedSource,
  synthPipeline,
} from "./stacks";

const ROUTE_TABLES = ["rtb-0a1b2c3d4e5f60718", "rtb-0f1e2d3c4b5a69788"];
const CREATE_ENDPOINTS = { type: "create-endpoints", routeTableIds: ROUTE_TABLES } as const;

let mskEndpoints: Synthesized;
let selfManagedEndpoints: Synthesized;
let existingNat: Synthesized;
let throwAway: Synthesized;

beforeAll(() => {
  mskEndpoints = synthPipeline((stack) => ({ source: mskSource(stack), awsServiceAccess: CREATE_ENDPOINTS }));
  selfManagedEndpoints = synthPipeline((stack) => ({
    source: selfManagedSource(stack),
    awsServiceAccess: CREATE_ENDPOINTS,
  }));
  existingNat = synthPipeline((stack) => ({
    source: mskSource(stack),
    awsServiceAccess: { type: "nat-or-existing-endpoints" },
  }));
  throwAway = synthPipeline((stack) => ({ source: mskSource(stack), removalPolicy: RemovalPolicy.DESTROY }));
}, 120_000);

function gatewayEndpoint(template: Template, service: "s3" | "dynamodb"): void {
  template.hasResourceProperties("AWS::EC2::VPCEndpoint", {
    VpcEndpointType: "Gateway",
    VpcId: "vpc-0a1b2c3d4e5f60718",
    RouteTableIds: ROUTE_TABLES,
    ServiceName: { "Fn::Join": ["", ["com.amazonaws.", { Ref: "AWS::Region" }, `.${service}`]] },
  });
}

describe("a network path from the VPC to S3, DynamoDB and Secrets Manager", () => {
  it("creates S3 and DynamoDB gateway endpoints on the named route tables", () => {
    gatewayEndpoint(mskEndpoints.template, "s3");
    gatewayEndpoint(mskEndpoints.template, "dynamodb");
  });

  it("needs no Secrets Manager endpoint with MSK (IAM auth reads no secret)", () => {
    mskEndpoints.template.resourceCountIs("AWS::EC2::VPCEndpoint", 2);
  });

  it("adds a private-DNS Secrets Manager endpoint for self-managed SCRAM or mTLS, open to the functions only", () => {
    selfManagedEndpoints.template.resourceCountIs("AWS::EC2::VPCEndpoint", 3);
    selfManagedEndpoints.template.hasResourceProperties("AWS::EC2::VPCEndpoint", {
      VpcEndpointType: "Interface",
      PrivateDnsEnabled: true,
      SubnetIds: ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"],
      ServiceName: { "Fn::Join": ["", ["com.amazonaws.", { Ref: "AWS::Region" }, ".secretsmanager"]] },
    });
    selfManagedEndpoints.template.hasResourceProperties("AWS::EC2::SecurityGroup", {
      SecurityGroupIngress: [
        Match.objectLike({
          IpProtocol: "tcp",
          FromPort: 443,
          ToPort: 443,
          SourceSecurityGroupId: "sg-0a1b2c3d4e5f60718",
        }),
      ],
    });
  });

  it("creates the mappings only once the S3 endpoint exists, so the on-failure destination is reachable", () => {
    const mappings = Object.values(
      mskEndpoints.template.findResources("AWS::Lambda::EventSourceMapping"),
    ) as Array<{
      DependsOn: string[];
    }>;
    const endpoints = Object.keys(mskEndpoints.template.findResources("AWS::EC2::VPCEndpoint"));

    for (const mapping of mappings) expect(mapping.DependsOn).toEqual(expect.arrayContaining(endpoints));
  });

  it("creates nothing when the deployer says a NAT gateway or endpoints already exist", () => {
    existingNat.template.resourceCountIs("AWS::EC2::VPCEndpoint", 0);
  });

  it.each(["PipelineProcessor", "PipelineRedrive"])(
    "bounds %s's SDK calls with connect and request timeouts",
    (fn) => {
      expect(functionEnvironment(mskEndpoints.template, fn)).toMatchObject({
        AWS_SDK_CONNECT_TIMEOUT_MS: "3000",
        AWS_SDK_REQUEST_TIMEOUT_MS: "10000",
      });
    },
  );

  it("uses no STS or CloudWatch endpoint: the MSK IAM signer signs locally and metrics are EMF logs", () => {
    expect(JSON.stringify(mskEndpoints.template.toJSON())).not.toMatch(/\.(sts|monitoring|logs)"/);
  });
});

describe("alarms that notify", () => {
  it("lets CloudWatch publish to the created topic, for this account's alarms of the pipeline only", () => {
    const policy = Object.values(mskEndpoints.template.findResources("AWS::SNS::TopicPolicy"))[0] as {
      Properties: { PolicyDocument: { Statement: Array<Record<string, unknown>> } };
    };
    const statements = policy.Properties.PolicyDocument.Statement;
    const publish = statements.find((s) => s.Sid === "CloudWatchAlarmsPublish") as Record<string, unknown>;
    const alarms = Object.keys(mskEndpoints.template.findResources("AWS::CloudWatch::Alarm"));

    // enforceSSL's Deny stays; the Allow is what lets CloudWatch publish at all.
    expect(statements.some((s) => s.Effect === "Deny")).toBe(true);
    expect(publish).toMatchObject({
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: "sns:Publish",
      Condition: { StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } },
    });
    const sourceArns = (
      publish.Condition as { ArnLike: { "aws:SourceArn": Array<{ "Fn::GetAtt": string[] }> } }
    ).ArnLike["aws:SourceArn"];
    expect(sourceArns.map((arn) => arn["Fn::GetAtt"][0]).sort()).toEqual(alarms.sort());
  });

  it.each(["employees", "user-events"])(
    "alarms when the mapping of %s cannot poll or commit, or drops records",
    (topic) => {
      const alarm = Object.entries(mskEndpoints.template.findResources("AWS::CloudWatch::Alarm")).find(
        ([id]) => id.startsWith(`PipelineMonitoringMappingErrorsAlarm${topic.replace("-", "")}`),
      )?.[1] as { Properties: { Metrics: Array<Record<string, unknown>>; Threshold: number } };

      const names = alarm.Properties.Metrics.flatMap((m) =>
        m.MetricStat === undefined
          ? []
          : [(m.MetricStat as { Metric: { MetricName: string } }).Metric.MetricName],
      );
      expect(names).toEqual(["PollingErrorCount", "CommitErrorCount", "DroppedEventCount"]);
      expect(alarm.Properties.Threshold).toBe(1);
    },
  );

  it("alarms when a mapping reports lag but nothing is invoked or processed for 15 minutes", () => {
    mskEndpoints.template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      EvaluationPeriods: 3,
      Metrics: Match.arrayWith([
        Match.objectLike({
          Expression:
            "IF(FILL(lag, 0) > 0 AND (FILL(invoked, 0) == 0 OR FILL(processed, 0) + FILL(deadLettered, 0) == 0), 1, 0)",
        }),
        Match.objectLike({
          Id: "lag",
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: "MaxOffsetLag" }) }),
        }),
        Match.objectLike({
          Id: "invoked",
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: "InvokedEventCount" }) }),
        }),
        Match.objectLike({
          Id: "processed",
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: "RecordsProcessed" }) }),
        }),
      ]),
    });
  });
});

describe("limits AWS enforces", () => {
  it("keeps the processor's timeout within the 14 minutes Kafka mappings invoke", () => {
    const synthesized = synthPipeline((stack) => ({
      source: mskSource(stack),
      timeout: Duration.minutes(14),
    }));

    synthesized.template.hasResourceProperties("AWS::Lambda::Function", { Timeout: 840 });
  });

  it("sets the index retention on the processor, so the archive's Glacier transition can follow it", () => {
    expect(functionEnvironment(mskEndpoints.template, "PipelineProcessor")).toMatchObject({
      DEAD_LETTER_RETENTION_DAYS: "90",
    });
  });

  it("empties both buckets on delete when the stack is throw-away, and only then", () => {
    throwAway.template.resourceCountIs("Custom::S3AutoDeleteObjects", 2);
    mskEndpoints.template.resourceCountIs("Custom::S3AutoDeleteObjects", 0);
  });
});

describe("the deployable app", () => {
  it("deploys to the MSK cluster's region", () => {
    const stack = exampleStack("infra/examples/msk.json");

    expect(stack.region).toBe("eu-west-1");
  });

  it("knows the processor's pipelines and tells the function the mapped topics", () => {
    const template = Template.fromStack(exampleStack("infra/examples/msk.json"));

    expect(functionEnvironment(template, "PipelineProcessor")).toMatchObject({
      SOURCE_TOPICS: "employees,user-events",
    });
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: "KafkaLambdaPipeline-employees" },
    });
  });
});
