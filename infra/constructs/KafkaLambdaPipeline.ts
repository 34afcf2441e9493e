import * as path from "node:path";
import { type Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import type * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import type * as ec2 from "aws-cdk-lib/aws-ec2";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { KafkaDlq } from "aws-cdk-lib/aws-lambda-event-sources";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import * as s3 from "aws-cdk-lib/aws-s3";
import type * as sns from "aws-cdk-lib/aws-sns";
import * as cxapi from "aws-cdk-lib/cx-api";
import { Construct } from "constructs";
import type { FailureKeyName } from "../../functions/lib/config";
import { ATTEMPTS_TABLE, DEAD_LETTER_TABLE } from "../../functions/lib/tables";
import { LAMBDA_BUNDLE } from "../bundling/lambdaBundle";
import { MskResourceArns } from "./mskResourceArns";
import { type PipelineAlarms, PipelineMonitoring } from "./PipelineMonitoring";
import {
  ON_FAILURE_S3_PREFIX,
  REDRIVE_SERVICE_NAME,
  type ResolvedRedrive,
  type ResolvedSettings,
  resolveSettings,
} from "./resolveSettings";
import type {
  ArchiveLifecycle,
  KafkaSource,
  OnFailureDestination,
  PollerConfig,
  RedriveFunctionOptions,
  SelfManagedKafkaSource,
  TopicPipeline,
} from "./types";

const REPO_ROOT = path.resolve(import.meta.dirname, "../..");

/** Attempts-table keys of the redrive's runs and ledger (`REDRIVE#RUN#…`, `REDRIVE#RECORD#…`). */
const REDRIVE_KEY_PATTERN = "REDRIVE#*";

/**
 * Props of {@link KafkaLambdaPipeline}. Only `source` is required; every default is chosen so that a
 * record is never lost silently and is documented on its prop.
 */
export interface KafkaLambdaPipelineProps {
  /** The cluster to read from: MSK with IAM auth, or self-managed Kafka with SCRAM or mTLS. */
  readonly source: KafkaSource;
  /**
   * Source topics and where their records and dead letters go; one event source mapping each.
   * @default employees -> employees.processed (DLQ employees.dlq), user-events -> user-events.processed (DLQ user-events.dlq)
   */
  readonly pipelines?: readonly TopicPipeline[];
  /**
   * Prefix of the consumer group of each mapping that does not name its own.
   * @default "kafka-lambda-pipeline"
   */
  readonly consumerGroupIdPrefix?: string;
  /**
   * Poller scaling. Provisioned mode is required: see {@link PollerConfig}.
   * @default { mode: "provisioned", minimumPollers: 1, maximumPollers: 3 }
   */
  readonly pollers?: PollerConfig;
  /** Most records per invocation (1-10000). @default 100 */
  readonly batchSize?: number;
  /** Longest wait to fill a batch, whole seconds up to 300. @default Duration.seconds(1) */
  readonly maxBatchingWindow?: Duration;
  /**
   * Where a new consumer group starts; TRIM_HORIZON reads what the topic still holds.
   * @default StartingPosition.TRIM_HORIZON
   */
  readonly startingPosition?: lambda.StartingPosition;
  /**
   * Retries of a failed batch (or of the partitions the function reports) before the batch goes to the
   * on-failure destination; -1 is infinite, which Lambda caps at 10 when a destination is set.
   * @default 5
   */
  readonly retryAttempts?: number;
  /**
   * Records older than this go to the on-failure destination unprocessed (60 s to 7 days).
   * @default - no limit: a consumer that falls behind never discards records because of their age
   */
  readonly maxRecordAge?: Duration;
  /** Split a failing batch in two to isolate the record that fails it. @default true */
  readonly bisectBatchOnError?: boolean;
  /**
   * The mapping's last safety net when retries or record age run out.
   * @default { type: "s3" } (the archive bucket, which also keeps the invocation payload)
   */
  readonly onFailure?: OnFailureDestination;
  /**
   * Key of the partial batch response item identifier; AWS's pages disagree, see the README.
   * @default "partition"
   */
  readonly failureKeyName?: FailureKeyName;
  /** Stop a partition at its first record that must be retried. @default true */
  readonly ordered?: boolean;
  /** Throw when every record of a batch must be retried, so retries and bisect apply. @default true */
  readonly throwOnFullBatchFailure?: boolean;
  /** Memory of the processor in MB. @default 512 */
  readonly memorySize?: number;
  /** Timeout of one invocation (10 s to 15 min). @default Duration.minutes(1) */
  readonly timeout?: Duration;
  /** Retention of the processor's log group. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Powertools service name, also the `service` dimension of the metrics. @default "kafka-processor" */
  readonly serviceName?: string;
  /** CloudWatch namespace of the processor's metrics. @default "KafkaLambdaPipeline" */
  readonly metricsNamespace?: string;
  /** Key prefix of the function's dead-letter archive objects. @default "dead-letters" */
  readonly archivePrefix?: string;
  /** Storage class transitions and expiry of archived objects. @default see {@link ArchiveLifecycle} */
  readonly archiveLifecycle?: ArchiveLifecycle;
  /**
   * Bucket for the archive bucket's server access logs.
   * @default - a dedicated access-log bucket is created
   */
  readonly serverAccessLogsBucket?: s3.IBucket;
  /**
   * What happens to the bucket, tables and log group when the stack is deleted; RETAIN also turns on
   * deletion protection of the tables. Use DESTROY only for throw-away environments (a non-empty
   * bucket still blocks deletion).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Topic the alarms notify.
   * @default - a KMS-encrypted topic is created
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Address subscribed to the created alarm topic (it must confirm the subscription).
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /** Alarm when the consumer lag (OffsetLag, max) stays above this many records. @default 1000 */
  readonly offsetLagThreshold?: number;
  /** Alarm when the function fails this many invocations in 5 minutes. @default 1 */
  readonly functionErrorsThreshold?: number;
  /**
   * Processor source file exporting `handler`.
   * @default functions/processor/handler.ts of this repository
   */
  readonly processorEntry?: string;
  /**
   * The dead-letter redrive function, which operators invoke directly to replay dead letters (or the
   * on-failure destination's batches) to their source topics; `false` leaves it out.
   * @default { timeout: Duration.minutes(15), memorySize: 512 } and the function's own redrive defaults
   */
  readonly redrive?: false | RedriveFunctionOptions;
}

/**
 * A Kafka consumer on Lambda with partial batch responses, retries, a DLQ topic, an S3 dead-letter
 * archive and an on-failure destination, plus the tables, alarms and dashboard that run it.
 *
 * Everything is least privilege: the role may read only the source topics and consumer groups, write
 * only the target and DLQ topics, put objects only under the archive prefix (and where the on-failure
 * destination writes) and use only its two tables. The redrive function, which operators invoke to
 * replay dead letters, may only write the source topics, read the archive, and update what it replays.
 *
 * @example
 * new KafkaLambdaPipeline(this, "Pipeline", {
 *   source: {
 *     type: "msk",
 *     clusterArn: "arn:aws:kafka:eu-west-1:111122223333:cluster/orders/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9-7",
 *     bootstrapBrokers: "b-1.orders.abc123.c7.kafka.eu-west-1.amazonaws.com:9098",
 *     vpc, vpcSubnets: { subnets }, securityGroups: [brokerClients],
 *   },
 *   pipelines: [{ source: "orders" }],
 * });
 */
export class KafkaLambdaPipeline extends Construct {
  readonly processor: nodejs.NodejsFunction;
  readonly processorRole: iam.Role;
  readonly processorLogGroup: logs.LogGroup;
  /** One mapping per source topic, keyed by the topic. */
  readonly eventSourceMappings: ReadonlyMap<string, lambda.EventSourceMapping>;
  readonly archiveBucket: s3.Bucket;
  readonly accessLogsBucket: s3.IBucket;
  readonly deadLetterTable: dynamodb.Table;
  readonly attemptsTable: dynamodb.Table;
  readonly alarmTopic: sns.ITopic;
  readonly alarms: PipelineAlarms;
  readonly dashboard: cloudwatch.Dashboard;
  /** Kafka connection variables of the processor, for another function on the same cluster. */
  readonly kafkaEnvironment: Readonly<Record<string, string>>;
  /** The dead-letter redrive function; undefined when `redrive` is false. */
  readonly redriveFunction: nodejs.NodejsFunction | undefined;
  readonly redriveRole: iam.Role | undefined;

  private readonly settings: ResolvedSettings;
  private readonly mskArns: MskResourceArns | undefined;

  constructor(scope: Construct, id: string, props: KafkaLambdaPipelineProps) {
    super(scope, id);
    // Log delivery through a bucket policy keeps ACLs disabled on the log bucket; set here so the
    // construct behaves the same whatever feature flags the hosting app has.
    this.node.setContext(cxapi.S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);

    const settings = resolveSettings(props);
    this.settings = settings;
    this.mskArns =
      settings.source.type === "msk" ? new MskResourceArns(settings.source.clusterArn) : undefined;
    this.kafkaEnvironment = kafkaEnvironment(settings.source);

    this.deadLetterTable = this.createDeadLetterTable();
    this.attemptsTable = this.createAttemptsTable();
    this.accessLogsBucket = props.serverAccessLogsBucket ?? this.createAccessLogsBucket();
    this.archiveBucket = this.createArchiveBucket(this.accessLogsBucket);

    const processor = this.addFunction("Processor", {
      description: "Kafka records: decode, validate, transform, produce; dead letters to DLQ topic and S3",
      entry: props.processorEntry ?? path.join(REPO_ROOT, "functions/processor/handler.ts"),
      environment: {
        ...this.kafkaEnvironment,
        ARCHIVE_BUCKET: this.archiveBucket.bucketName,
        ARCHIVE_PREFIX: settings.archivePrefix,
        DEAD_LETTER_TABLE: this.deadLetterTable.tableName,
        ATTEMPTS_TABLE: this.attemptsTable.tableName,
        FAILURE_KEY_NAME: settings.failureKeyName,
        ORDERED: String(settings.ordered),
        THROW_ON_FULL_BATCH_FAILURE: String(settings.throwOnFullBatchFailure),
        // Always explicit, so topic names never depend on the function's built-in defaults.
        TOPIC_OVERRIDES: JSON.stringify(
          Object.fromEntries(settings.pipelines.map((p) => [p.source, { target: p.target, dlq: p.dlq }])),
        ),
      },
    });
    this.processor = processor.fn;
    this.processorRole = processor.role;
    this.processorLogGroup = processor.logGroup;

    this.grantKafkaConsume(processor.role);
    this.grantKafkaProduce(
      processor.role,
      settings.pipelines.flatMap((p) => [p.target, p.dlq]),
    );
    this.grantArchiveWrite(processor.role);
    this.grantTablesReadWrite(processor.role);

    this.eventSourceMappings = new Map(
      settings.pipelines.map((pipeline) => [
        pipeline.source,
        this.createMapping(pipeline.source, pipeline.consumerGroupId),
      ]),
    );

    const redrive = settings.redrive === undefined ? undefined : this.createRedriveFunction(settings.redrive);
    this.redriveFunction = redrive?.fn;
    this.redriveRole = redrive?.role;

    const monitoring = new PipelineMonitoring(this, "Monitoring", {
      processor: this.processor,
      redrive: this.redriveFunction,
      mappings: this.eventSourceMappings,
      serviceName: settings.serviceName,
      metricsNamespace: settings.metricsNamespace,
      offsetLagThreshold: settings.offsetLagThreshold,
      functionErrorsThreshold: settings.functionErrorsThreshold,
      alarmTopic: props.alarmTopic,
      alarmEmail: settings.alarmEmail,
      removalPolicy: settings.removalPolicy,
    });
    this.alarmTopic = monitoring.alarmTopic;
    this.alarms = monitoring.alarms;
    this.dashboard = monitoring.dashboard;
  }

  /**
   * Lets a principal produce to the given topics: IAM actions on their exact ARNs for MSK, the
   * credentials secret for self-managed Kafka (whose ACLs then decide).
   */
  grantKafkaProduce(grantee: iam.IGrantable, topics: readonly string[]): void {
    if (this.mskArns === undefined) {
      this.grantSourceSecrets(grantee);
      return;
    }
    this.grantMskConnect(grantee);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "ProduceToTargetAndDlqTopics",
        actions: ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"],
        resources: [...new Set(topics)].map((topic) => this.topicArn(topic)),
      }),
    );
  }

  private grantKafkaConsume(grantee: iam.IGrantable): void {
    const { settings } = this;
    if (this.mskArns === undefined) {
      this.grantSourceSecrets(grantee);
    } else {
      this.grantMskConnect(grantee);
      grantee.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: "ReadSourceTopics",
          actions: ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"],
          resources: settings.pipelines.map((p) => this.topicArn(p.source)),
        }),
      );
      grantee.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: "CommitConsumerGroups",
          actions: ["kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"],
          resources: settings.pipelines.map((p) => this.mskArns?.group(p.consumerGroupId) ?? ""),
        }),
      );
    }
    // The mapping delivers to a Kafka on-failure topic with the function's role.
    if (settings.onFailure.type === "kafka" && this.mskArns !== undefined) {
      grantee.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: "WriteOnFailureTopic",
          actions: ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"],
          resources: [this.topicArn(settings.onFailure.topic)],
        }),
      );
    }
  }

  private grantMskConnect(grantee: iam.IGrantable): void {
    const clusterArn = this.mskArns?.clusterArn;
    if (clusterArn === undefined) return;
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "ConnectToCluster",
        actions: [
          "kafka:DescribeClusterV2",
          "kafka:GetBootstrapBrokers",
          "kafka-cluster:Connect",
          "kafka-cluster:DescribeClusterDynamicConfiguration",
        ],
        resources: [clusterArn],
      }),
    );
  }

  private grantSourceSecrets(grantee: iam.IGrantable): void {
    const source = this.settings.source as SelfManagedKafkaSource;
    source.secret.grantRead(grantee);
    source.rootCaSecret?.grantRead(grantee);
  }

  private topicArn(topic: string): string {
    if (this.mskArns === undefined) throw new Error("topic ARNs exist only for MSK sources");
    return this.mskArns.topic(topic);
  }

  private grantArchiveWrite(grantee: iam.IGrantable): void {
    const { archivePrefix, onFailure } = this.settings;
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "WriteArchiveObjects",
        actions: ["s3:PutObject"],
        resources: [this.archiveBucket.arnForObjects(`${archivePrefix}/*`)],
      }),
    );
    this.acknowledgeObjectWildcard(
      grantee,
      archivePrefix,
      "s3:PutObject",
      "dead-letter objects are keyed per record under the archive prefix",
    );
    if (onFailure.type !== "s3") return;
    // Lambda writes on-failure batches with the function's role under its own fixed prefix, and
    // lists the bucket first (AWS: kafka-on-failure, "For an S3 destination").
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "WriteOnFailureBatches",
        actions: ["s3:PutObject"],
        resources: [this.archiveBucket.arnForObjects(`${ON_FAILURE_S3_PREFIX}/*`)],
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "ListArchiveForOnFailure",
        actions: ["s3:ListBucket"],
        resources: [this.archiveBucket.bucketArn],
      }),
    );
    this.acknowledgeObjectWildcard(
      grantee,
      ON_FAILURE_S3_PREFIX,
      "s3:PutObject",
      "the mapping names on-failure objects itself (aws/lambda/<mapping>/<partition>/<date>/<uuid>)",
    );
  }

  private acknowledgeObjectWildcard(
    grantee: iam.IGrantable,
    prefix: string,
    action: string,
    why: string,
  ): void {
    if (!(grantee instanceof Construct)) return;
    const bucketLogicalId = Stack.of(this).getLogicalId(this.archiveBucket.node.defaultChild as s3.CfnBucket);
    Validations.of(grantee).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${prefix}/*]`,
      reason: `${action} only, only under "${prefix}/": ${why}, so no exact object ARN exists at deploy time.`,
    });
  }

  /**
   * The redrive function: reads the dead-letter index and the archive (or the on-failure batches),
   * replays to the source topics and keeps its runs and ledger in the attempts table. It is given
   * exactly that, statement by statement, instead of {@link grantTablesReadWrite}.
   */
  private createRedriveFunction(options: ResolvedRedrive): { fn: nodejs.NodejsFunction; role: iam.Role } {
    const { settings } = this;
    const optional = (name: string, value: number | undefined) =>
      value === undefined ? {} : { [name]: String(value) };
    const redrive = this.addFunction("Redrive", {
      description:
        "Replays dead letters (or on-failure batches) to their source topics; invoked by operators",
      entry: path.join(REPO_ROOT, "functions/redrive/handler.ts"),
      memorySize: options.memorySize,
      timeout: options.timeout,
      serviceName: REDRIVE_SERVICE_NAME,
      environment: {
        ...this.kafkaEnvironment,
        KAFKA_CLIENT_ID: REDRIVE_SERVICE_NAME,
        ARCHIVE_BUCKET: this.archiveBucket.bucketName,
        ARCHIVE_PREFIX: settings.archivePrefix,
        DEAD_LETTER_TABLE: this.deadLetterTable.tableName,
        ATTEMPTS_TABLE: this.attemptsTable.tableName,
        ...optional("REDRIVE_MAX_REDRIVES", options.maxRedrives),
        ...optional("REDRIVE_RATE", options.ratePerSecond),
        ...optional("REDRIVE_BATCH_SIZE", options.batchSize),
      },
    });
    const { role } = redrive;

    if (this.mskArns === undefined) {
      // Only the credentials the producer presents; the root CA secret is read by the mapping alone.
      (settings.source as SelfManagedKafkaSource).secret.grantRead(role);
    } else {
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: "RedriveConnectToCluster",
          actions: ["kafka-cluster:Connect"],
          resources: [this.mskArns.clusterArn],
        }),
      );
      // A dead letter goes back to the topic it came from, and nowhere else.
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: "RedriveWriteSourceTopics",
          actions: ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"],
          resources: settings.pipelines.map((p) => this.topicArn(p.source)),
        }),
      );
    }

    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "RedriveQueryDeadLetterIndexes",
        actions: ["dynamodb:Query"],
        resources: [DEAD_LETTER_TABLE.byTopicIndex.name, DEAD_LETTER_TABLE.byStatusIndex.name].map(
          (index) => `${this.deadLetterTable.tableArn}/index/${index}`,
        ),
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "RedriveReadAndMarkDeadLetters",
        actions: ["dynamodb:GetItem", "dynamodb:UpdateItem"],
        resources: [this.deadLetterTable.tableArn],
      }),
    );
    // Runs (REDRIVE#RUN#) and the on-failure replay ledger (REDRIVE#RECORD#) share the attempts table
    // with the processor's attempt and idempotency items, which the redrive must never touch.
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "RedriveRunsAndLedger",
        actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem"],
        resources: [this.attemptsTable.tableArn],
        conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": [REDRIVE_KEY_PATTERN] } },
      }),
    );

    const prefixes = [settings.archivePrefix];
    if (settings.onFailure.type === "s3") prefixes.push(ON_FAILURE_S3_PREFIX);
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "RedriveReadArchive",
        actions: ["s3:GetObject"],
        resources: prefixes.map((prefix) => this.archiveBucket.arnForObjects(`${prefix}/*`)),
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "RedriveListArchive",
        actions: ["s3:ListBucket"],
        resources: [this.archiveBucket.bucketArn],
        conditions: { StringLike: { "s3:prefix": prefixes.map((prefix) => `${prefix}/*`) } },
      }),
    );
    this.acknowledgeObjectWildcard(
      role,
      settings.archivePrefix,
      "s3:GetObject",
      "the index names one archive object per dead letter, written by the processor at run time",
    );
    if (settings.onFailure.type === "s3") {
      this.acknowledgeObjectWildcard(
        role,
        ON_FAILURE_S3_PREFIX,
        "s3:GetObject",
        "the mapping names on-failure objects itself (aws/lambda/<mapping>/<partition>/<date>/<uuid>)",
      );
    }
    return redrive;
  }

  /** Lets a principal read and write both tables and query the dead-letter indexes (never Scan). */
  grantTablesReadWrite(grantee: iam.IGrantable): void {
    const indexArns = [DEAD_LETTER_TABLE.byTopicIndex.name, DEAD_LETTER_TABLE.byStatusIndex.name].map(
      (index) => `${this.deadLetterTable.tableArn}/index/${index}`,
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "ReadWriteTables",
        // No Scan: the tables are served by keys and indexes only.
        actions: [
          "dynamodb:GetItem",
          "dynamodb:BatchGetItem",
          "dynamodb:Query",
          "dynamodb:PutItem",
          "dynamodb:UpdateItem",
          "dynamodb:DeleteItem",
          "dynamodb:BatchWriteItem",
          "dynamodb:ConditionCheckItem",
          "dynamodb:DescribeTable",
        ],
        resources: [this.deadLetterTable.tableArn, this.attemptsTable.tableArn],
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "QueryDeadLetterIndexes",
        actions: ["dynamodb:Query"],
        resources: indexArns,
      }),
    );
  }

  private createDeadLetterTable(): dynamodb.Table {
    const table = new dynamodb.Table(this, "DeadLetterTable", {
      ...this.tableDefaults(),
      partitionKey: { name: DEAD_LETTER_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: DEAD_LETTER_TABLE.sortKey, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: DEAD_LETTER_TABLE.ttlAttribute,
    });
    for (const index of [DEAD_LETTER_TABLE.byTopicIndex, DEAD_LETTER_TABLE.byStatusIndex]) {
      table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    return table;
  }

  private createAttemptsTable(): dynamodb.Table {
    return new dynamodb.Table(this, "AttemptsTable", {
      ...this.tableDefaults(),
      partitionKey: { name: ATTEMPTS_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: ATTEMPTS_TABLE.ttlAttribute,
    });
  }

  private tableDefaults() {
    const { removalPolicy } = this.settings;
    return {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
    } as const;
  }

  private createAccessLogsBucket(): s3.Bucket {
    // cdk-nag's S1 does not ask a log target bucket to log itself, so no acknowledgement is needed.
    const bucket = new s3.Bucket(this, "AccessLogsBucket", {
      // Log delivery supports SSE-S3 only, not SSE-KMS.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      lifecycleRules: [{ id: "expire-access-logs", expiration: this.settings.lifecycle.expireAfter }],
      removalPolicy: this.settings.removalPolicy,
    });
    return bucket;
  }

  private createArchiveBucket(accessLogs: s3.IBucket): s3.Bucket {
    const { lifecycle, removalPolicy } = this.settings;
    return new s3.Bucket(this, "ArchiveBucket", {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: "archive/",
      lifecycleRules: [
        {
          id: "tier-and-expire-dead-letters",
          transitions: [
            {
              storageClass: s3.StorageClass.INFREQUENT_ACCESS,
              transitionAfter: lifecycle.transitionToInfrequentAccessAfter,
            },
            { storageClass: s3.StorageClass.GLACIER, transitionAfter: lifecycle.transitionToGlacierAfter },
          ],
          expiration: lifecycle.expireAfter,
          noncurrentVersionExpiration: lifecycle.noncurrentVersionExpireAfter,
          abortIncompleteMultipartUploadAfter: lifecycle.noncurrentVersionExpireAfter,
        },
      ],
      removalPolicy,
    });
  }

  /**
   * Adds a function built like the processor (Node 24, ARM64, bundled with esbuild, in the source's
   * network, Powertools settings) with its own role and log group. The role starts with nothing but
   * writing to that log group (and the network interfaces a VPC needs); grant the rest explicitly,
   * e.g. with {@link grantKafkaProduce} and {@link grantTablesReadWrite}. This is how a second
   * function (such as a dead-letter redrive) joins the pipeline.
   */
  addFunction(
    id: string,
    options: {
      description: string;
      entry: string;
      environment: Record<string, string>;
      /** @default the processor's memorySize */
      memorySize?: number;
      /** @default the processor's timeout */
      timeout?: Duration;
      /** Powertools service name. @default the processor's serviceName */
      serviceName?: string;
    },
  ): { fn: nodejs.NodejsFunction; role: iam.Role; logGroup: logs.LogGroup } {
    const { settings } = this;
    const logGroup = new logs.LogGroup(this, `${id}Logs`, {
      retention: settings.logRetention,
      removalPolicy: settings.removalPolicy,
    });
    // An explicit role instead of the default one, which would attach the AWS managed policies
    // AWSLambdaBasicExecutionRole / AWSLambdaVPCAccessExecutionRole (logs:* on every log group).
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: `Execution role of the ${id} function of ${this.node.path}`,
    });
    logGroup.grantWrite(role);

    const network = functionNetwork(settings.source);
    if (network !== undefined) {
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: "ManageVpcNetworkInterfaces",
          actions: [
            "ec2:CreateNetworkInterface",
            "ec2:DeleteNetworkInterface",
            "ec2:DescribeNetworkInterfaces",
            "ec2:AssignPrivateIpAddresses",
            "ec2:UnassignPrivateIpAddresses",
            "ec2:DescribeSubnets",
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeVpcs",
          ],
          // AWS forces "*": the ec2:Describe* actions have no resource-level permissions, and Lambda
          // creates and deletes interfaces whose IDs exist only at run time.
          resources: ["*"],
        }),
      );
      Validations.of(role).acknowledge({
        id: "AwsSolutions-IAM5[Resource::*]",
        reason:
          "Only the VPC network-interface actions that Lambda and the Kafka mapping need: ec2:Describe* support no " +
          "resource-level permissions and the interfaces to create or delete have no ARN before they exist.",
      });
    }

    const fn = new nodejs.NodejsFunction(this, id, {
      description: options.description,
      entry: options.entry,
      handler: "handler",
      depsLockFilePath: path.join(REPO_ROOT, "package-lock.json"),
      projectRoot: REPO_ROOT,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: options.memorySize ?? settings.memorySize,
      timeout: options.timeout ?? settings.timeout,
      role,
      logGroup,
      ...(network ?? {}),
      environment: {
        ...options.environment,
        POWERTOOLS_SERVICE_NAME: options.serviceName ?? settings.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: settings.metricsNamespace,
        NODE_OPTIONS: "--enable-source-maps",
      },
      bundling: {
        minify: LAMBDA_BUNDLE.minify,
        sourceMap: LAMBDA_BUNDLE.sourceMap,
        sourcesContent: LAMBDA_BUNDLE.sourcesContent,
        target: LAMBDA_BUNDLE.target,
        format: nodejs.OutputFormat.ESM,
        mainFields: [...LAMBDA_BUNDLE.mainFields],
        banner: LAMBDA_BUNDLE.banner,
        externalModules: [...LAMBDA_BUNDLE.externalModules],
      },
    });
    // Lambda checks the role's network-interface permissions when it creates a VPC function.
    fn.node.addDependency(role);
    return { fn, role, logGroup };
  }

  private createMapping(topic: string, consumerGroupId: string): lambda.EventSourceMapping {
    const { settings } = this;
    const source = settings.source;
    const mapping = new lambda.EventSourceMapping(this, `Mapping-${topic}`, {
      target: this.processor,
      ...(source.type === "msk"
        ? { eventSourceArn: source.clusterArn }
        : {
            kafkaBootstrapServers: [...source.bootstrapServers],
            sourceAccessConfigurations: selfManagedAccess(source),
          }),
      kafkaTopic: topic,
      kafkaConsumerGroupId: consumerGroupId,
      startingPosition: settings.startingPosition,
      batchSize: settings.batchSize,
      maxBatchingWindow: settings.maxBatchingWindow,
      provisionedPollerConfig: {
        minimumPollers: settings.minimumPollers,
        maximumPollers: settings.maximumPollers,
        ...(settings.pollerGroupName === undefined ? {} : { pollerGroupName: settings.pollerGroupName }),
      },
      reportBatchItemFailures: true,
      retryAttempts: settings.retryAttempts,
      bisectBatchOnError: settings.bisectBatchOnError,
      ...(settings.maxRecordAge === undefined ? {} : { maxRecordAge: settings.maxRecordAge }),
      onFailure:
        settings.onFailure.type === "s3"
          ? new ArchiveOnFailureDestination(this.archiveBucket)
          : new KafkaDlq(settings.onFailure.topic),
      supportS3OnFailureDestination: true,
      metricsConfig: {
        metrics: [
          lambda.MetricType.EVENT_COUNT,
          lambda.MetricType.ERROR_COUNT,
          lambda.MetricType.KAFKA_METRICS,
        ],
      },
    });
    // Lambda validates the role's Kafka, secret and destination permissions when it creates the mapping.
    mapping.node.addDependency(this.processorRole);
    return mapping;
  }
}

/**
 * The archive bucket as the mapping's on-failure destination, without the read-write grant on the
 * whole bucket that CDK's S3OnFailureDestination adds; the construct grants the exact prefix instead.
 */
class ArchiveOnFailureDestination implements lambda.IEventSourceDlq {
  constructor(private readonly bucket: s3.IBucket) {}

  bind(): lambda.DlqDestinationConfig {
    return { destination: this.bucket.bucketArn };
  }
}

function kafkaEnvironment(source: KafkaSource): Record<string, string> {
  if (source.type === "msk") {
    return { KAFKA_BROKERS: source.bootstrapBrokers, KAFKA_SSL: "true", KAFKA_AUTH: "iam" };
  }
  const common = { KAFKA_BROKERS: source.bootstrapServers.join(","), KAFKA_SSL: "true" };
  switch (source.authentication) {
    case "sasl-scram-512":
      return { ...common, KAFKA_AUTH: "scram-sha-512", KAFKA_SASL_SECRET_ARN: source.secret.secretArn };
    case "sasl-scram-256":
      return { ...common, KAFKA_AUTH: "scram-sha-256", KAFKA_SASL_SECRET_ARN: source.secret.secretArn };
    case "mtls":
      // The producer presents the same client certificate as the mapping.
      return { ...common, KAFKA_AUTH: "none", KAFKA_TLS_SECRET_ARN: source.secret.secretArn };
  }
}

function functionNetwork(
  source: KafkaSource,
): { vpc: ec2.IVpc; vpcSubnets: ec2.SubnetSelection; securityGroups: ec2.ISecurityGroup[] } | undefined {
  if (source.vpc === undefined || source.vpcSubnets === undefined) return undefined;
  return {
    vpc: source.vpc,
    vpcSubnets: source.vpcSubnets,
    securityGroups: [...(source.securityGroups ?? [])],
  };
}

function selfManagedAccess(source: SelfManagedKafkaSource): lambda.SourceAccessConfiguration[] {
  const authType = {
    "sasl-scram-512": lambda.SourceAccessConfigurationType.SASL_SCRAM_512_AUTH,
    "sasl-scram-256": lambda.SourceAccessConfigurationType.SASL_SCRAM_256_AUTH,
    mtls: lambda.SourceAccessConfigurationType.CLIENT_CERTIFICATE_TLS_AUTH,
  }[source.authentication];
  const access: lambda.SourceAccessConfiguration[] = [{ type: authType, uri: source.secret.secretArn }];
  if (source.rootCaSecret !== undefined) {
    access.push({
      type: lambda.SourceAccessConfigurationType.SERVER_ROOT_CA_CERTIFICATE,
      uri: source.rootCaSecret.secretArn,
    });
  }
  if (source.vpc !== undefined && source.vpcSubnets !== undefined) {
    for (const group of source.securityGroups ?? []) {
      access.push({
        type: lambda.SourceAccessConfigurationType.VPC_SECURITY_GROUP,
        uri: group.securityGroupId,
      });
    }
    for (const subnetId of source.vpc.selectSubnets(source.vpcSubnets).subnetIds) {
      access.push({ type: lambda.SourceAccessConfigurationType.VPC_SUBNET, uri: subnetId });
    }
  }
  return access;
}
