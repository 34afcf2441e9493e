import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { Duration } from "aws-cdk-lib";
import { Match } from "aws-cdk-lib/assertions";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { beforeAll, describe, expect, it } from "vitest";
import { DynamoRedriveRunStore } from "../../functions/lib/redrive/adapters/DynamoRedriveRunStore";
import { DynamoReplayLedger } from "../../functions/lib/redrive/adapters/DynamoReplayLedger";
import { ATTEMPTS_TABLE } from "../../functions/lib/tables";
import {
  CLUSTER_ARN,
  functionEnvironment,
  functionProperties,
  mskSource,
  REPO_ROOT,
  roleStatements,
  SECRET_ARN,
  type Synthesized,
  selfManagedSource,
  synthPipeline,
  topicArn,
} from "./stacks";

const ROOT_CA_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:kafka/root-ca-XyZ789";
const REDRIVE = "PipelineRedrive";
const REDRIVE_ROLE = "PipelineRedriveRole";

// Nothing here is about the bundle (KafkaLambdaPipeline.msk.test.ts bundles both functions), so no esbuild.
let msk: Synthesized;
let tuned: Synthesized;
let scram: Synthesized;
let mtls: Synthesized;
let off: Synthesized;

beforeAll(() => {
  msk = synthPipeline((stack) => ({ source: mskSource(stack) }));
  tuned = synthPipeline((stack) => ({
    source: mskSource(stack),
    pipelines: [{ source: "orders" }],
    onFailure: { type: "kafka", topic: "pipeline.on-failure" },
    archivePrefix: "archive/dlq",
    redrive: {
      timeout: Duration.minutes(5),
      memorySize: 1024,
      maxRedrives: 5,
      ratePerSecond: 50,
      batchSize: 10,
    },
  }));
  scram = synthPipeline((stack) => ({
    source: selfManagedSource(stack, {
      rootCaSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, "RootCa", ROOT_CA_ARN),
    }),
    pipelines: [{ source: "orders" }],
  }));
  mtls = synthPipeline((stack) => ({ source: selfManagedSource(stack, { authentication: "mtls" }, false) }));
  off = synthPipeline((stack) => ({ source: mskSource(stack), redrive: false }));
}, 120_000);

const statements = ({ template }: Synthesized) => roleStatements(template, REDRIVE_ROLE);
const bySid = (synthesized: Synthesized, sid: string) => statements(synthesized).find((s) => s.Sid === sid);
/** The path after the resource's ARN in `Fn::Join ["", [<arn>, "/suffix"]]`. */
const suffixOf = (resource: unknown) => (resource as { "Fn::Join": [string, unknown[]] })["Fn::Join"][1][1];
const actionsOf = (synthesized: Synthesized) => statements(synthesized).flatMap((s) => [s.Action].flat());
/** Resources as a list: CloudFormation gets a single resource unwrapped. */
const resourcesOf = (statement: Record<string, unknown> | undefined) => [statement?.Resource].flat();

describe("redrive function (MSK, defaults)", () => {
  it("runs the redrive handler on Node 24, ARM64, for up to 15 minutes, in the processor's network", () => {
    const redrive = functionProperties(msk.template, REDRIVE);
    const processor = functionProperties(msk.template, "PipelineProcessor");

    expect(redrive).toMatchObject({
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      Handler: "index.handler",
      MemorySize: 512,
      Timeout: 900,
      LoggingConfig: { LogGroup: { Ref: expect.stringMatching(/^PipelineRedriveLogs/) } },
    });
    expect(redrive.VpcConfig).toEqual(processor.VpcConfig);
    expect(redrive.VpcConfig).toMatchObject({ SecurityGroupIds: ["sg-0a1b2c3d4e5f60718"] });
  });

  it("has no event source: operators invoke it", () => {
    const mappings = Object.values(msk.template.findResources("AWS::Lambda::EventSourceMapping")) as Array<{
      Properties: { FunctionName: { Ref: string } };
    }>;

    expect(mappings).toHaveLength(2);
    for (const mapping of mappings) expect(mapping.Properties.FunctionName.Ref).toMatch(/^PipelineProcessor/);
  });

  it("gets the processor's Kafka connection, its own client id and service name, and no local endpoints", () => {
    const env = functionEnvironment(msk.template, REDRIVE);

    expect(env).toEqual({
      ...msk.pipeline.kafkaEnvironment,
      KAFKA_CLIENT_ID: "kafka-redrive",
      ARCHIVE_BUCKET: { Ref: expect.stringMatching(/^PipelineArchiveBucket/) },
      ARCHIVE_PREFIX: "dead-letters",
      DEAD_LETTER_TABLE: { Ref: expect.stringMatching(/^PipelineDeadLetterTable/) },
      ATTEMPTS_TABLE: { Ref: expect.stringMatching(/^PipelineAttemptsTable/) },
      AWS_SDK_CONNECT_TIMEOUT_MS: "3000",
      AWS_SDK_REQUEST_TIMEOUT_MS: "10000",
      POWERTOOLS_SERVICE_NAME: "kafka-redrive",
      POWERTOOLS_METRICS_NAMESPACE: "KafkaLambdaPipeline",
    });
    expect(msk.pipeline.kafkaEnvironment).toEqual({
      KAFKA_BROKERS: "b-1.orders.abc123.c7.kafka.eu-west-1.amazonaws.com:9098",
      KAFKA_SSL: "true",
      KAFKA_AUTH: "iam",
    });
  });

  it("sets only variables the redrive code reads", () => {
    const env = functionEnvironment(tuned.template, REDRIVE);
    const read = ["functions/lib/config.ts", "functions/lib/redrive/createRedriveTools.ts"]
      .map((file) => readFileSync(path.join(REPO_ROOT, file), "utf8"))
      .join("\n");

    const unread = Object.keys(env).filter(
      (name) => !name.startsWith("POWERTOOLS_") && name !== "NODE_OPTIONS" && !read.includes(`"${name}"`),
    );

    expect(unread).toEqual([]);
  });
});

describe("redrive IAM (MSK)", () => {
  it("has exactly these statements, and no managed policy", () => {
    expect(statements(msk).map((s) => s.Sid)).toEqual([
      undefined, // its own log group
      "ManageVpcNetworkInterfaces",
      "RedriveConnectToCluster",
      "RedriveWriteSourceTopics",
      "RedriveQueryDeadLetterIndexes",
      "RedriveReadAndMarkDeadLetters",
      "RedriveRunsAndLedger",
      "RedriveReadArchive",
      "RedriveListOnFailureBatches",
    ]);
    const [role] = Object.values(
      msk.template.findResources("AWS::IAM::Role", {
        Properties: { Description: Match.stringLikeRegexp("Redrive function") },
      }),
    ) as Array<{ Properties: { ManagedPolicyArns?: unknown } }>;
    expect(role).toBeDefined();
    expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it("writes only to its own log group", () => {
    const logs = statements(msk)[0];

    expect(logs?.Action).toEqual(["logs:CreateLogStream", "logs:PutLogEvents"]);
    expect(logs?.Resource).toEqual({ "Fn::GetAtt": [expect.stringMatching(/^PipelineRedriveLogs/), "Arn"] });
  });

  it("connects to the cluster and writes only the source topics, reading none", () => {
    expect(bySid(msk, "RedriveConnectToCluster")).toMatchObject({
      Action: "kafka-cluster:Connect",
      Resource: CLUSTER_ARN,
    });
    expect(bySid(msk, "RedriveWriteSourceTopics")).toMatchObject({
      Action: ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"],
      Resource: [topicArn("employees"), topicArn("user-events")],
    });
    const kafka = actionsOf(msk).filter((a) => String(a).startsWith("kafka"));
    expect(new Set(kafka)).toEqual(
      new Set(["kafka-cluster:Connect", "kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"]),
    );
  });

  it("queries only the two dead-letter indexes and reads and marks letters by key, never Scan or Delete", () => {
    const indexes = bySid(msk, "RedriveQueryDeadLetterIndexes");
    const letters = bySid(msk, "RedriveReadAndMarkDeadLetters");

    expect(indexes?.Action).toBe("dynamodb:Query");
    expect(resourcesOf(indexes).map(suffixOf)).toEqual(["/index/byStatus", "/index/byTopic"]);
    expect(JSON.stringify(indexes?.Resource)).toMatch(/PipelineDeadLetterTable/);
    expect(letters).toMatchObject({
      Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"],
      Resource: { "Fn::GetAtt": [expect.stringMatching(/^PipelineDeadLetterTable/), "Arn"] },
    });
    const dynamodb = actionsOf(msk).filter((a) => String(a).startsWith("dynamodb"));
    expect(dynamodb).not.toEqual(expect.arrayContaining([expect.stringMatching(/Scan|Delete|Transact/)]));
  });

  it("keeps runs and its ledger in the attempts table, only under REDRIVE# keys", () => {
    expect(bySid(msk, "RedriveRunsAndLedger")).toEqual({
      Sid: "RedriveRunsAndLedger",
      Effect: "Allow",
      Action: ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:GetItem", "dynamodb:PutItem"],
      Resource: { "Fn::GetAtt": [expect.stringMatching(/^PipelineAttemptsTable/), "Arn"] },
      Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["REDRIVE#*"] } },
    });
  });

  it("reads archived dead letters and on-failure batches, lists only the on-failure prefix, writes nothing", () => {
    const read = bySid(msk, "RedriveReadArchive");
    const list = bySid(msk, "RedriveListOnFailureBatches");

    expect(read?.Action).toBe("s3:GetObject");
    expect(resourcesOf(read).map(suffixOf)).toEqual(["/aws/lambda/*", "/dead-letters/*"]);
    expect(list).toMatchObject({
      Action: "s3:ListBucket",
      Resource: { "Fn::GetAtt": [expect.stringMatching(/^PipelineArchiveBucket/), "Arn"] },
      // Dead letters are read by the key the index holds; only the on-failure replay lists.
      Condition: { StringLike: { "s3:prefix": ["aws/lambda/*"] } },
    });
    const s3 = actionsOf(msk).filter((a) => String(a).startsWith("s3:"));
    expect(new Set(s3)).toEqual(new Set(["s3:GetObject", "s3:ListBucket"]));
  });

  it('needs no key (tables and bucket use AWS-managed encryption) or secret, and "*" only for the VPC', () => {
    expect(actionsOf(msk).filter((a) => /^(kms|secretsmanager):/.test(String(a)))).toEqual([]);
    const wildcards = statements(msk).filter((s) => JSON.stringify(s.Resource).includes('"*"'));
    expect(wildcards.map((s) => s.Sid)).toEqual(["ManageVpcNetworkInterfaces"]);
  });
});

describe("the LeadingKeys condition", () => {
  it("matches every attempts-table key the redrive's run store and ledger read or write", async () => {
    // Prepare: the real adapters against a client that records each request.
    const requests: unknown[] = [];
    const client = {
      send: async (command: { input: unknown }) => {
        requests.push(command.input);
        return {};
      },
    } as unknown as DynamoDBClient;
    const runs = new DynamoRedriveRunStore({ client, table: "attempts" });
    const ledger = new DynamoReplayLedger({ client, table: "attempts" });
    const at = "2025-01-01T00:00:00.000Z";
    const counts = { selected: 1, replayed: 1, refused: 0, skipped: 0, failed: 0 };
    const mark = { at, runId: "run-1", topic: "orders", partition: 0, offset: 7 };

    // Act
    await runs.load("run-1");
    await runs.save({
      runId: "run-1",
      state: "running",
      request: {} as never,
      counts,
      startedAt: at,
      updatedAt: at,
      attempts: 1,
    });
    await ledger.replayed(["orders:0:7"]);
    await ledger.markReplayed([{ ...mark, id: "orders:0:7" }]);

    // Assert
    const keys = partitionKeys(requests);
    const condition = bySid(msk, "RedriveRunsAndLedger")?.Condition as {
      "ForAllValues:StringLike": { "dynamodb:LeadingKeys": string[] };
    };
    const patterns = condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"];
    const matches = new RegExp(`^(${patterns.map((p) => p.replaceAll("*", ".*")).join("|")})$`);
    expect(keys).toHaveLength(4);
    for (const key of keys) expect(key).toMatch(matches);
  });
});

describe("redrive options", () => {
  it("applies timeout, memory and the redrive defaults", () => {
    expect(functionProperties(tuned.template, REDRIVE)).toMatchObject({ Timeout: 300, MemorySize: 1024 });
    expect(functionEnvironment(tuned.template, REDRIVE)).toMatchObject({
      REDRIVE_MAX_REDRIVES: "5",
      REDRIVE_RATE: "50",
      REDRIVE_BATCH_SIZE: "10",
      ARCHIVE_PREFIX: "archive/dlq",
    });
  });

  it("leaves the redrive defaults to the function when not given", () => {
    expect(Object.keys(functionEnvironment(msk.template, REDRIVE))).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/^REDRIVE_/)]),
    );
  });

  it("reads only the archive prefix, and lists nothing, when the on-failure destination is a topic", () => {
    expect(resourcesOf(bySid(tuned, "RedriveReadArchive")).map(suffixOf)).toEqual(["/archive/dlq/*"]);
    expect(actionsOf(tuned)).not.toContain("s3:ListBucket");
    expect(resourcesOf(bySid(tuned, "RedriveWriteSourceTopics"))).toEqual([topicArn("orders")]);
  });
});

describe("redrive on self-managed Kafka", () => {
  it("produces with the SCRAM secret from inside the VPC", () => {
    expect(functionEnvironment(scram.template, REDRIVE)).toMatchObject({
      KAFKA_BROKERS: "kafka-1.example.com:9096,kafka-2.example.com:9096",
      KAFKA_SSL: "true",
      KAFKA_AUTH: "scram-sha-512",
      KAFKA_SASL_SECRET_ARN: SECRET_ARN,
      KAFKA_CLIENT_ID: "kafka-redrive",
    });
    expect(functionProperties(scram.template, REDRIVE).VpcConfig).toEqual(
      functionProperties(scram.template, "PipelineProcessor").VpcConfig,
    );
  });

  it("reads the credentials and root CA secrets (it verifies the brokers too), and no MSK actions", () => {
    const secrets = statements(scram).filter((s) => JSON.stringify(s.Action).includes("secretsmanager:"));

    expect(secrets).toEqual([
      {
        Sid: "ReadKafkaSecrets",
        Effect: "Allow",
        Action: "secretsmanager:GetSecretValue",
        Resource: [SECRET_ARN, ROOT_CA_ARN].sort(),
      },
    ]);
    expect(JSON.stringify(statements(scram))).not.toMatch(/kafka-cluster:|kafka:/);
  });

  it("presents the mTLS client certificate, outside any VPC, with no network-interface permissions", () => {
    expect(functionEnvironment(mtls.template, REDRIVE)).toMatchObject({
      KAFKA_AUTH: "none",
      KAFKA_SSL: "true",
      KAFKA_TLS_SECRET_ARN: SECRET_ARN,
    });
    expect(functionEnvironment(mtls.template, REDRIVE)).not.toHaveProperty("KAFKA_SASL_SECRET_ARN");
    expect(functionProperties(mtls.template, REDRIVE).VpcConfig).toBeUndefined();
    expect(statements(mtls).map((s) => s.Sid)).not.toContain("ManageVpcNetworkInterfaces");
    expect(JSON.stringify(statements(mtls).map((s) => s.Resource))).not.toContain('"*"');
  });
});

describe("redrive monitoring", () => {
  it("alarms on any failed redrive invocation", () => {
    msk.template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "AWS/Lambda",
      MetricName: "Errors",
      Dimensions: [{ Name: "FunctionName", Value: { Ref: Match.stringLikeRegexp(`^${REDRIVE}`) } }],
      Statistic: "Sum",
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      TreatMissingData: "notBreaching",
      AlarmActions: [{ Ref: Match.stringLikeRegexp("AlarmTopic") }],
    });
    expect(msk.pipeline.alarms.redriveErrors).toBeDefined();
  });

  it("draws its invocations, errors and duration on the dashboard, next to its alarm", () => {
    const body = dashboardBody(msk);
    const widget = body.widgets.find((w) => w.properties.title?.startsWith("Redrive function"));

    const metrics = JSON.stringify(widget?.properties.metrics);
    for (const name of ["Invocations", "Errors", "Duration"]) expect(metrics).toContain(`"${name}"`);
    expect(metrics).toMatch(/PipelineRedrive/);
    const alarmsWidget = body.widgets.find((w) => w.properties.title === "Alarms");
    expect(JSON.stringify(alarmsWidget)).toContain("RedriveErrorsAlarm");
  });
});

describe("redrive: false", () => {
  it("deploys no redrive function, role, log group, alarm or widget", () => {
    off.template.resourceCountIs("AWS::Lambda::Function", 1);
    off.template.resourceCountIs("AWS::IAM::Role", 1);
    off.template.resourceCountIs("AWS::Logs::LogGroup", 1);
    expect(JSON.stringify(off.template.toJSON())).not.toMatch(/Redrive/);
    expect(off.pipeline.redriveFunction).toBeUndefined();
    expect(off.pipeline.redriveRole).toBeUndefined();
    expect(off.pipeline.alarms.redriveErrors).toBeUndefined();
  });
});

/** Every value of the attempts table's partition key anywhere in the recorded requests. */
function partitionKeys(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(partitionKeys);
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([name, inner]) => {
    const s = (inner as { S?: unknown } | null)?.S;
    return name === ATTEMPTS_TABLE.partitionKey && typeof s === "string" ? [s] : partitionKeys(inner);
  });
}

interface DashboardBody {
  widgets: Array<{ properties: { title?: string; metrics?: unknown } }>;
}

/** The dashboard body is a Fn::Join of JSON and tokens; tokens become placeholders that keep their names. */
function dashboardBody({ template }: Synthesized): DashboardBody {
  const [dashboard] = Object.values(template.findResources("AWS::CloudWatch::Dashboard")) as Array<{
    Properties: { DashboardBody: { "Fn::Join": [string, unknown[]] } };
  }>;
  const parts = dashboard?.Properties.DashboardBody["Fn::Join"][1] ?? [];
  const text = parts.map((part) => (typeof part === "string" ? part : JSON.stringify(part))).join("");
  return JSON.parse(
    text.replace(/\{"(Ref|Fn::GetAtt)":[^}]*\}/g, (token) => JSON.stringify(token).slice(1, -1)),
  );
}
