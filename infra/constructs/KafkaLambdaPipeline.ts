import * as path from "node:path";
import { type Duration, type RemovalPolicy, Stack } from "aws-cdk-lib";
import type * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import type * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import type * as logs from "aws-cdk-lib/aws-logs";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type * as sns from "aws-cdk-lib/aws-sns";
import * as cxapi from "aws-cdk-lib/cx-api";
import { Construct } from "constructs";
import type { FailureKeyName } from "../../functions/lib/config";
import { createAwsServiceEndpoints } from "./awsServiceEndpoints";
import {
  addCanaryPipeline,
  type CanaryPipeline,
  canaryProduceTopics,
  mappedTopicsEnvironment,
  withCanaryMapping,
} from "./canaryPipeline";
import { requireClusterRegion } from "./clusterRegion";
import { REDRIVE_SERVICE_NAME } from "./defaults";
import { createMapping } from "./eventSourceMappings";
import { kafkaEnvironment } from "./kafkaEnvironment";
import { PipelineSchemaRegistry } from "./mappingSchemaRegistry";
import { MskResourceArns } from "./mskResourceArns";
import { PipelineGrants } from "./PipelineGrants";
import { type PipelineAlarms, PipelineMonitoring } from "./PipelineMonitoring";
import {
  createPipelineFunction,
  type PipelineFunction,
  type PipelineFunctionOptions,
  REPO_ROOT,
} from "./pipelineFunction";
import {
  createAccessLogsBucket,
  createArchiveBucket,
  createAttemptsTable,
  createDeadLetterTable,
} from "./pipelineStorage";
import { type ResolvedRedrive, type ResolvedSettings, resolveSettings } from "./resolveSettings";
import type {
  ArchiveLifecycle,
  AwsServiceAccess,
  CanaryOptions,
  KafkaSource,
  MappingSchemaRegistry,
  OnFailureDestination,
  PollerConfig,
  RedriveFunctionOptions,
  TopicPipeline,
} from "./types";

/**
 * Props of {@link KafkaLambdaPipeline}. Only `source` is required; every default is chosen so that a
 * record is never lost silently and is documented on its prop.
 */
export interface KafkaLambdaPipelineProps {
  /** The cluster to read from: MSK with IAM auth, or self-managed Kafka with SCRAM or mTLS. */
  readonly source: KafkaSource;
  /**
   * How the functions reach S3, DynamoDB and Secrets Manager from the VPC; required when they run in
   * one (always with MSK). See {@link AwsServiceAccess}.
   * @default - none: the functions run outside any VPC
   */
  readonly awsServiceAccess?: AwsServiceAccess;
  /**
   * Source topics and where their records and dead letters go; one event source mapping each.
   * @default one pipeline per topic of `knownSourceTopics`, else employees and user-events, each to `<topic>.processed` (DLQ `<topic>.dlq`)
   */
  readonly pipelines?: readonly TopicPipeline[];
  /**
   * The source topics the processor's code has pipelines for (`pipelines.map((p) => p.sourceTopic)`
   * of functions/processor/pipelines.ts). A `pipelines` entry naming another topic fails synth,
   * instead of a deployment that dead-letters that topic record by record.
   * @default - not checked
   */
  readonly knownSourceTopics?: readonly string[];
  /**
   * Prefix of the consumer group of each mapping that does not name its own. The group is
   * create-only: see the README ("Changing what a mapping was created with") before changing it.
   * @default the stack's name, so two stacks on one cluster never share (and split) a group
   */
  readonly consumerGroupIdPrefix?: string;
  /**
   * Poller scaling. Provisioned mode is required: see {@link PollerConfig}.
   * @default { mode: "provisioned", minimumPollers: 1, maximumPollers: 3 }
   */
  readonly pollers?: PollerConfig;
  /**
   * Let the mappings validate (and, in `JSON` format, deserialize) Avro, Protobuf and JSON Schema
   * records against AWS Glue Schema Registry or a Confluent-compatible registry before the processor
   * sees them; provisioned mode only. Records the mapping cannot deserialize go to `onFailure`, not to
   * the function (see the README). The canary's mapping never uses it.
   * @default - no registry: the function gets the records' bytes as they are
   */
  readonly schemaRegistry?: MappingSchemaRegistry;
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
   * Retries of a batch whose invocation failed (the function threw or timed out) before the batch goes
   * to the on-failure destination; -1 is infinite, which Lambda caps at 10 when a destination is set
   * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html: "the maximum number of
   * times Lambda retries when your function returns an error"). Whether a partial batch response,
   * which makes Lambda redeliver only the reported records, also uses up an attempt is not documented
   * for Kafka mappings; the pipeline does not rely on either: its attempt ledger (MAX_TRANSIENT_FAILURES)
   * bounds how often one record is reported.
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
  /** Timeout of one invocation (10 s to 14 min, the most Kafka mappings invoke). @default Duration.minutes(1) */
  readonly timeout?: Duration;
  /**
   * Connect timeout of the functions' AWS SDK clients (AWS_SDK_CONNECT_TIMEOUT_MS): a call that cannot
   * connect fails while there is time to retry it, instead of hanging until the invocation's deadline.
   * @default Duration.seconds(3)
   */
  readonly sdkConnectTimeout?: Duration;
  /** Request timeout of the functions' AWS SDK clients (AWS_SDK_REQUEST_TIMEOUT_MS). @default Duration.seconds(10) */
  readonly sdkRequestTimeout?: Duration;
  /**
   * How long a dead letter stays in the index (DEAD_LETTER_RETENTION_DAYS). The archive keeps its
   * envelope readable (out of GLACIER) at least this long plus a week.
   * @default Duration.days(90)
   */
  readonly deadLetterRetention?: Duration;
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
   * What happens to the buckets, tables, key and log groups when the stack is deleted; RETAIN also
   * turns on deletion protection of the tables. DESTROY, for throw-away environments, also empties the
   * archive (every version) and the access-log bucket on delete (autoDeleteObjects).
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
  /**
   * A canary pipeline on topics of its own (`<stackName>.canary`, `.canary.out`, `.canary.dlq` unless
   * `topic` says otherwise), read by its own mapping on the processor, for `npm run canary` to prove the
   * deployment with; `true` turns it on with the default topic. See {@link CanaryOptions}.
   * @default false
   */
  readonly canary?: boolean | CanaryOptions;
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
 *   awsServiceAccess: { type: "create-endpoints", routeTableIds: ["rtb-0a1b2c3d4e5f60718"] },
 *   knownSourceTopics: pipelines.map((p) => p.sourceTopic), // functions/processor/pipelines.ts
 *   pipelines: [{ source: "employees" }],
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
  /** The canary's topics, mapping and the outputs its tool reads; undefined when `canary` is off. */
  readonly canary: CanaryPipeline | undefined;

  private readonly settings: ResolvedSettings;
  private readonly grants: PipelineGrants;

  constructor(scope: Construct, id: string, props: KafkaLambdaPipelineProps) {
    super(scope, id);
    // Log delivery through a bucket policy keeps ACLs disabled on the log bucket; set here so the
    // construct behaves the same whatever feature flags the hosting app has.
    this.node.setContext(cxapi.S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);

    const stack = Stack.of(this);
    const settings = resolveSettings(props, { stackName: stack.stackName });
    this.settings = settings;
    if (settings.source.type === "msk") requireClusterRegion(stack, settings.source.clusterArn, this);
    const mskArns =
      settings.source.type === "msk" ? new MskResourceArns(settings.source.clusterArn) : undefined;
    this.kafkaEnvironment = kafkaEnvironment(settings.source);

    this.deadLetterTable = createDeadLetterTable(this, settings);
    this.attemptsTable = createAttemptsTable(this, settings);
    this.accessLogsBucket = props.serverAccessLogsBucket ?? createAccessLogsBucket(this, settings);
    this.archiveBucket = createArchiveBucket(this, settings, this.accessLogsBucket);
    this.grants = new PipelineGrants(this, settings, mskArns, {
      archiveBucket: this.archiveBucket,
      deadLetterTable: this.deadLetterTable,
      attemptsTable: this.attemptsTable,
    });

    const processor = this.addFunction("Processor", {
      description: "Kafka records: decode, validate, transform, produce; dead letters to DLQ topic and S3",
      entry: props.processorEntry ?? path.join(REPO_ROOT, "functions/processor/handler.ts"),
      environment: {
        ...this.kafkaEnvironment,
        ARCHIVE_BUCKET: this.archiveBucket.bucketName,
        ARCHIVE_PREFIX: settings.archivePrefix,
        DEAD_LETTER_TABLE: this.deadLetterTable.tableName,
        ATTEMPTS_TABLE: this.attemptsTable.tableName,
        DEAD_LETTER_RETENTION_DAYS: String(settings.deadLetterRetentionDays),
        FAILURE_KEY_NAME: settings.failureKeyName,
        ORDERED: String(settings.ordered),
        THROW_ON_FULL_BATCH_FAILURE: String(settings.throwOnFullBatchFailure),
        // SOURCE_TOPICS, so the function refuses to start (INIT) without a pipeline for a mapped topic.
        ...mappedTopicsEnvironment(settings),
        // Always explicit, so topic names never depend on the function's built-in defaults.
        TOPIC_OVERRIDES: JSON.stringify(
          Object.fromEntries(settings.pipelines.map((p) => [p.source, { target: p.target, dlq: p.dlq }])),
        ),
      },
    });
    this.processor = processor.fn;
    this.processorRole = processor.role;
    this.processorLogGroup = processor.logGroup;

    this.grants.kafkaConsume(processor.role);
    this.grantKafkaProduce(processor.role, [
      ...settings.pipelines.flatMap((p) => [p.target, p.dlq]),
      ...canaryProduceTopics(settings.canary),
    ]);
    this.grants.archiveWrite(processor.role);
    this.grants.processorTables(processor.role);

    const endpoints = createAwsServiceEndpoints(this, settings);
    const targets = {
      processor: this.processor,
      processorRole: this.processorRole,
      archiveBucket: this.archiveBucket,
    };
    const schemaRegistry =
      settings.schemaRegistry === undefined
        ? undefined
        : new PipelineSchemaRegistry(settings.schemaRegistry, processor.role);
    this.eventSourceMappings = new Map(
      settings.pipelines.map((pipeline) => {
        const mapping = createMapping(this, settings, pipeline, targets, schemaRegistry);
        // A batch the mapping gives up on reaches the S3 destination only through the endpoint.
        mapping.node.addDependency(...endpoints);
        return [pipeline.source, mapping];
      }),
    );

    this.canary =
      settings.canary === undefined
        ? undefined
        : addCanaryPipeline(this, settings, settings.canary, {
            ...targets,
            deadLetterTable: this.deadLetterTable,
            attemptsTable: this.attemptsTable,
            kafkaEnvironment: this.kafkaEnvironment,
            mskArns,
            endpoints,
          });

    const redrive = settings.redrive === undefined ? undefined : this.createRedriveFunction(settings.redrive);
    this.redriveFunction = redrive?.fn;
    this.redriveRole = redrive?.role;

    const monitoring = new PipelineMonitoring(this, "Monitoring", {
      processor: this.processor,
      redrive: this.redriveFunction,
      mappings: withCanaryMapping(this.eventSourceMappings, this.canary),
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
    this.grants.kafkaProduce(grantee, topics);
  }

  /**
   * Adds a function built like the processor (Node 24, ARM64, bundled with esbuild, in the source's
   * network, Powertools settings) with its own role and log group. The role starts with nothing but
   * writing to that log group (and the network interfaces a VPC needs); grant the rest explicitly,
   * e.g. with {@link grantKafkaProduce}. This is how a second function (such as a dead-letter
   * redrive) joins the pipeline.
   */
  addFunction(id: string, options: PipelineFunctionOptions): PipelineFunction {
    const { settings } = this;
    return createPipelineFunction(this, id, settings, {
      ...options,
      environment: {
        AWS_SDK_CONNECT_TIMEOUT_MS: String(settings.sdkConnectTimeout.toMilliseconds()),
        AWS_SDK_REQUEST_TIMEOUT_MS: String(settings.sdkRequestTimeout.toMilliseconds()),
        ...options.environment,
      },
    });
  }

  /**
   * The redrive function: reads the dead-letter index and the archive (or the on-failure batches),
   * replays to the source topics and keeps its runs and ledger in the attempts table.
   */
  private createRedriveFunction(options: ResolvedRedrive): PipelineFunction {
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
    this.grants.redrive(redrive.role);
    return redrive;
  }
}
