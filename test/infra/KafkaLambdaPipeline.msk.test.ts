import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { type App, Duration } from "aws-cdk-lib";
import { Match, type Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { ATTEMPTS_TABLE, DEAD_LETTER_TABLE } from "../../functions/lib/tables";
import {
  CLUSTER_ARN,
  functionEnvironment as environmentOf,
  mskSource,
  REPO_ROOT,
  type Synthesized,
  synthPipeline,
} from "./stacks";

// The real processor and redrive entries, bundled once for the whole file.
let synthesized: Synthesized;
let template: Template;

beforeAll(() => {
  synthesized = synthPipeline((stack) => ({ source: mskSource(stack), maxRecordAge: Duration.hours(6) }), {
    bundle: true,
  });
  template = synthesized.template;
}, 120_000);

function functionEnvironment(): Record<string, unknown> {
  return environmentOf(template, "PipelineProcessor");
}

describe("processor function (MSK)", () => {
  it("runs the bundled handler on Node 24, ARM64, in the cluster's VPC", () => {
    // Prepare / act: synthesized in beforeAll.
    // Assert
    // The processor and the redrive function.
    template.resourceCountIs("AWS::Lambda::Function", 2);
    template.hasResourceProperties("AWS::Lambda::Function", {
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      Handler: "index.handler",
      MemorySize: 512,
      Timeout: 60,
      VpcConfig: {
        SubnetIds: ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"],
        SecurityGroupIds: ["sg-0a1b2c3d4e5f60718"],
      },
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp("PipelineProcessorLogs") } },
    });
  });

  it("configures the function through the environment variables functions/lib/config.ts reads", () => {
    const env = functionEnvironment();

    expect(env).toMatchObject({
      KAFKA_BROKERS: "b-1.orders.abc123.c7.kafka.eu-west-1.amazonaws.com:9098",
      KAFKA_SSL: "true",
      KAFKA_AUTH: "iam",
      ARCHIVE_PREFIX: "dead-letters",
      FAILURE_KEY_NAME: "partition",
      ORDERED: "true",
      THROW_ON_FULL_BATCH_FAILURE: "true",
      POWERTOOLS_SERVICE_NAME: "kafka-processor",
      POWERTOOLS_METRICS_NAMESPACE: "KafkaLambdaPipeline",
      ARCHIVE_BUCKET: { Ref: expect.stringMatching(/^PipelineArchiveBucket/) },
      DEAD_LETTER_TABLE: { Ref: expect.stringMatching(/^PipelineDeadLetterTable/) },
      ATTEMPTS_TABLE: { Ref: expect.stringMatching(/^PipelineAttemptsTable/) },
    });
    expect(JSON.parse(env.TOPIC_OVERRIDES as string)).toEqual({
      employees: { target: "employees.processed", dlq: "employees.dlq" },
      "user-events": { target: "user-events.processed", dlq: "user-events.dlq" },
    });
    const configSource = readFileSync(path.join(REPO_ROOT, "functions/lib/config.ts"), "utf8");
    const notReadByConfig = Object.keys(env).filter(
      (name) =>
        !name.startsWith("POWERTOOLS_") && name !== "NODE_OPTIONS" && !configSource.includes(`"${name}"`),
    );
    expect(notReadByConfig).toEqual([]);
  });

  it("bundles each function (processor, redrive) into a minified ESM entry with a source map, and chunks for what it imports on first use, without Docker", () => {
    const { outdir } = synthesized.stack.node.root as App;
    const assets = readdirSync(outdir).filter((name) => name.startsWith("asset."));

    expect(assets).toHaveLength(2);
    for (const asset of assets) {
      const files = readdirSync(path.join(outdir, asset)).sort();
      const code = readFileSync(path.join(outdir, asset, "index.mjs"), "utf8");

      expect(files).toContain("index.mjs");
      expect(files).toContain("index.mjs.map");
      // Code splitting (issue 11): the rest are esbuild's chunks, each with its map.
      const chunks = files.filter((name) => !name.startsWith("index.mjs"));
      expect(chunks.length).toBeGreaterThan(0);
      for (const chunk of chunks) expect(chunk).toMatch(/^[\w.-]+-[A-Z0-9]{8}\.mjs(\.map)?$/);
      expect(code.startsWith("import { createRequire }")).toBe(true);
      // Minified: long lines (template literals keep a few newlines), and linked to its map.
      expect(code.length / code.split("\n").length).toBeGreaterThan(1000);
      expect(code.trimEnd().endsWith("//# sourceMappingURL=index.mjs.map")).toBe(true);
    }
    // One bundle per entry: the redrive's own message is in exactly one of them.
    const redriveBundles = assets.filter((asset) =>
      readFileSync(path.join(outdir, asset, "index.mjs"), "utf8").includes(
        "the invocation is about to time out",
      ),
    );
    expect(redriveBundles).toHaveLength(1);
  });

  it("keeps logs for a month in a log group of its own", () => {
    template.hasResourceProperties("AWS::Logs::LogGroup", { RetentionInDays: 30 });
    template.hasResource("AWS::Logs::LogGroup", { DeletionPolicy: "Retain" });
  });
});

describe("event source mappings (MSK)", () => {
  it("creates one mapping per source topic in provisioned mode with partial batch responses", () => {
    template.resourceCountIs("AWS::Lambda::EventSourceMapping", 2);
    for (const topic of ["employees", "user-events"]) {
      template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
        EventSourceArn: CLUSTER_ARN,
        Topics: [topic],
        // The stack's name ("Test") is the default prefix: two stacks never share a group.
        AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: `Test-${topic}` },
        FunctionResponseTypes: ["ReportBatchItemFailures"],
        ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 3 },
        MaximumRetryAttempts: 5,
        MaximumRecordAgeInSeconds: 21_600,
        BisectBatchOnFunctionError: true,
        BatchSize: 100,
        MaximumBatchingWindowInSeconds: 1,
        StartingPosition: "TRIM_HORIZON",
        MetricsConfig: { Metrics: ["EventCount", "ErrorCount", "KafkaMetrics"] },
      });
    }
  });

  it("sends exhausted batches to the archive bucket as the on-failure destination", () => {
    template.allResourcesProperties("AWS::Lambda::EventSourceMapping", {
      DestinationConfig: {
        OnFailure: {
          Destination: { "Fn::GetAtt": [Match.stringLikeRegexp("PipelineArchiveBucket"), "Arn"] },
        },
      },
    });
  });

  it("is created only after the role's policy, because Lambda checks the permissions on creation", () => {
    const mappings = Object.values(template.findResources("AWS::Lambda::EventSourceMapping")) as Array<{
      DependsOn?: string[];
    }>;
    for (const mapping of mappings) {
      expect(mapping.DependsOn).toEqual(
        expect.arrayContaining([expect.stringMatching(/ProcessorRoleDefaultPolicy/)]),
      );
    }
  });
});

describe("archive bucket", () => {
  it("is encrypted, private, versioned, logged and retained", () => {
    template.hasResource("AWS::S3::Bucket", {
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        VersioningConfiguration: { Status: "Enabled" },
        LoggingConfiguration: {
          DestinationBucketName: { Ref: Match.stringLikeRegexp("PipelineAccessLogsBucket") },
          LogFilePrefix: "archive/",
        },
      },
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
    });
  });

  it("tiers objects to infrequent access and Glacier, then expires them", () => {
    template.hasResourceProperties("AWS::S3::Bucket", {
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({
            Status: "Enabled",
            Transitions: [
              { StorageClass: "STANDARD_IA", TransitionInDays: 30 },
              // 90 days of index retention plus a month: an indexed dead letter stays readable.
              { StorageClass: "GLACIER", TransitionInDays: 120 },
            ],
            ExpirationInDays: 365,
            NoncurrentVersionExpiration: { NoncurrentDays: 30 },
          }),
        ],
      },
    });
  });

  it("refuses requests without TLS", () => {
    template.hasResourceProperties("AWS::S3::BucketPolicy", {
      Bucket: { Ref: Match.stringLikeRegexp("PipelineArchiveBucket") },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Deny",
            Action: "s3:*",
            Principal: { AWS: "*" },
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
        ]),
      },
    });
  });
});

describe("DynamoDB tables", () => {
  it.each([
    [
      "dead-letter",
      DEAD_LETTER_TABLE.ttlAttribute,
      [DEAD_LETTER_TABLE.partitionKey, DEAD_LETTER_TABLE.sortKey],
    ],
    ["attempts", ATTEMPTS_TABLE.ttlAttribute, [ATTEMPTS_TABLE.partitionKey]],
  ])("%s table is on-demand, encrypted, recoverable, expiring and protected", (_name, ttl, keys) => {
    template.hasResource("AWS::DynamoDB::Table", {
      Properties: Match.objectLike({
        BillingMode: "PAY_PER_REQUEST",
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: ttl, Enabled: true },
        DeletionProtectionEnabled: true,
        KeySchema: keys.map((name, i) => ({ AttributeName: name, KeyType: i === 0 ? "HASH" : "RANGE" })),
      }),
      DeletionPolicy: "Retain",
    });
  });

  it("gives the dead-letter table the byTopic and byStatus indexes of functions/lib/tables.ts", () => {
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      GlobalSecondaryIndexes: [DEAD_LETTER_TABLE.byTopicIndex, DEAD_LETTER_TABLE.byStatusIndex].map(
        (index) => ({
          IndexName: index.name,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: "HASH" },
            { AttributeName: index.sortKey, KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        }),
      ),
    });
  });
});

describe("alarms and dashboard", () => {
  const namespace = "KafkaLambdaPipeline";
  const service = [{ Name: "service", Value: "kafka-processor" }];

  it.each([
    ["RecordsDeadLettered", 1],
    ["DeadLetterWriteFailures", 1],
  ])("alarms on any %s", (metricName, threshold) => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: namespace,
      MetricName: metricName,
      Dimensions: service,
      Statistic: "Sum",
      Threshold: threshold,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      TreatMissingData: "notBreaching",
      AlarmActions: [{ Ref: Match.stringLikeRegexp("AlarmTopic") }],
    });
  });

  it("alarms on function errors and on offset lag over the threshold", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "AWS/Lambda",
      MetricName: "Errors",
      Threshold: 1,
      AlarmActions: [{ Ref: Match.stringLikeRegexp("AlarmTopic") }],
    });
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "AWS/Lambda",
      MetricName: "OffsetLag",
      Statistic: "Maximum",
      Threshold: 1000,
      ComparisonOperator: "GreaterThanThreshold",
      EvaluationPeriods: 3,
    });
  });

  it("alarms per mapping on deliveries to (or failures of) the on-failure destination", () => {
    const alarms = template.findResources("AWS::CloudWatch::Alarm", {
      Properties: { Metrics: Match.arrayWith([Match.objectLike({ Id: "delivered" })]) },
    });
    expect(Object.keys(alarms)).toHaveLength(2);
    for (const alarm of Object.values(alarms) as Array<{
      Properties: { Metrics: Array<Record<string, unknown>> };
    }>) {
      const names = alarm.Properties.Metrics.flatMap((m) =>
        m.MetricStat === undefined
          ? []
          : [(m.MetricStat as { Metric: { MetricName: string } }).Metric.MetricName],
      );
      expect(names).toEqual([
        "OnFailureDestinationDeliveredEventCount",
        "OnFailureDestinationDeliveryErrorCount",
      ]);
      expect(JSON.stringify(alarm.Properties.Metrics)).toContain("EventSourceMappingUUID");
    }
  });

  it("notifies a KMS-encrypted, TLS-only SNS topic", () => {
    template.hasResourceProperties("AWS::SNS::Topic", {
      KmsMasterKeyId: { "Fn::GetAtt": [Match.stringLikeRegexp("AlarmTopicKey"), "Arn"] },
    });
    template.hasResourceProperties("AWS::KMS::Key", { EnableKeyRotation: true });
    template.hasResourceProperties("AWS::SNS::TopicPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
        ]),
      },
    });
  });

  it("draws records by stage, retries, write failures, errors, duration, throttles and lag", () => {
    const [dashboard] = Object.values(template.findResources("AWS::CloudWatch::Dashboard")) as Array<{
      Properties: { DashboardBody: unknown };
    }>;
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const text of [
      "RecordsReceived",
      "RecordsProcessed",
      "RecordsDeadLettered",
      "Stage",
      "retries-exhausted",
      "RecordsRetried",
      "DeadLetterWriteFailures",
      "Errors",
      "Throttles",
      "Duration",
      "BatchDuration",
      "OffsetLag",
      "MaxOffsetLag",
      "OnFailureDestinationDeliveredEventCount",
    ]) {
      expect(body).toContain(text);
    }
  });

  it("exposes every resource as a public field", () => {
    const { pipeline } = synthesized;
    expect([...pipeline.eventSourceMappings.keys()]).toEqual(["employees", "user-events"]);
    expect(pipeline.alarms.onFailureDeliveries.size).toBe(2);
    expect(pipeline.kafkaEnvironment).toEqual({
      KAFKA_BROKERS: "b-1.orders.abc123.c7.kafka.eu-west-1.amazonaws.com:9098",
      KAFKA_SSL: "true",
      KAFKA_AUTH: "iam",
    });
    for (const resource of [
      pipeline.processor,
      pipeline.processorRole,
      pipeline.processorLogGroup,
      pipeline.archiveBucket,
      pipeline.accessLogsBucket,
      pipeline.deadLetterTable,
      pipeline.attemptsTable,
      pipeline.alarmTopic,
      pipeline.dashboard,
      pipeline.redriveFunction,
      pipeline.redriveRole,
    ]) {
      expect(resource).toBeDefined();
    }
  });
});
