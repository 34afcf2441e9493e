import { Stack, Validations } from "aws-cdk-lib";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { DEAD_LETTER_TABLE } from "../../functions/lib/tables";
import type { MskResourceArns } from "./mskResourceArns";
import { ON_FAILURE_S3_PREFIX, type ResolvedSettings } from "./resolveSettings";
import type { SelfManagedKafkaSource } from "./types";

/** Attempts-table keys of the redrive's runs and ledger (`REDRIVE#RUN#…`, `REDRIVE#RECORD#…`). */
export const REDRIVE_KEY_PATTERN = "REDRIVE#*";

export interface PipelineResources {
  readonly archiveBucket: s3.Bucket;
  readonly deadLetterTable: dynamodb.ITable;
  readonly attemptsTable: dynamodb.ITable;
}

/**
 * Who may do what: every statement the pipeline's roles get, each on exact resources. The processor
 * and the redrive function get only what their code (and, for the processor, the mapping that runs
 * with its role) calls; test/infra/grantsMatchCode.test.ts compares them with the bundled code.
 */
export class PipelineGrants {
  constructor(
    private readonly scope: Construct,
    private readonly settings: ResolvedSettings,
    private readonly mskArns: MskResourceArns | undefined,
    private readonly resources: PipelineResources,
  ) {}

  /**
   * Lets a principal produce to the given topics: IAM actions on their exact ARNs for MSK, the
   * credentials secret for self-managed Kafka (whose ACLs then decide).
   */
  kafkaProduce(grantee: iam.IGrantable, topics: readonly string[]): void {
    if (this.mskArns === undefined) {
      this.sourceSecrets(grantee);
      return;
    }
    this.mskConnect(grantee);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "ProduceToTargetAndDlqTopics",
        actions: ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"],
        resources: [...new Set(topics)].map((topic) => this.topicArn(topic)),
      }),
    );
  }

  /** What the mapping needs to read the source topics with the processor's role. */
  kafkaConsume(grantee: iam.IGrantable): void {
    const { settings } = this;
    if (this.mskArns === undefined) {
      this.sourceSecrets(grantee);
    } else {
      this.mskConnect(grantee);
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

  private mskConnect(grantee: iam.IGrantable): void {
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

  private sourceSecrets(grantee: iam.IGrantable): void {
    const source = this.settings.source as SelfManagedKafkaSource;
    source.secret.grantRead(grantee);
    source.rootCaSecret?.grantRead(grantee);
  }

  topicArn(topic: string): string {
    if (this.mskArns === undefined) throw new Error("topic ARNs exist only for MSK sources");
    return this.mskArns.topic(topic);
  }

  archiveWrite(grantee: iam.IGrantable): void {
    const { archivePrefix, onFailure } = this.settings;
    const { archiveBucket } = this.resources;
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "WriteArchiveObjects",
        actions: ["s3:PutObject"],
        resources: [archiveBucket.arnForObjects(`${archivePrefix}/*`)],
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
        resources: [archiveBucket.arnForObjects(`${ON_FAILURE_S3_PREFIX}/*`)],
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "ListArchiveForOnFailure",
        actions: ["s3:ListBucket"],
        resources: [archiveBucket.bucketArn],
      }),
    );
    this.acknowledgeObjectWildcard(
      grantee,
      ON_FAILURE_S3_PREFIX,
      "s3:PutObject",
      "the mapping names on-failure objects itself (aws/lambda/<mapping>/<partition>/<date>/<uuid>)",
    );
  }

  /** Lets a principal read and write both tables and query the dead-letter indexes (never Scan). */
  tablesReadWrite(grantee: iam.IGrantable): void {
    const { deadLetterTable, attemptsTable } = this.resources;
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
        resources: [deadLetterTable.tableArn, attemptsTable.tableArn],
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "QueryDeadLetterIndexes",
        actions: ["dynamodb:Query"],
        resources: this.indexArns(),
      }),
    );
  }

  /**
   * The redrive function: reads the dead-letter index and the archive (or the on-failure batches),
   * replays to the source topics and keeps its runs and ledger in the attempts table.
   */
  redrive(role: iam.Role): void {
    const { settings } = this;
    const { archiveBucket, deadLetterTable, attemptsTable } = this.resources;
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
        resources: this.indexArns(),
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "RedriveReadAndMarkDeadLetters",
        actions: ["dynamodb:GetItem", "dynamodb:UpdateItem"],
        resources: [deadLetterTable.tableArn],
      }),
    );
    // Runs (REDRIVE#RUN#) and the on-failure replay ledger (REDRIVE#RECORD#) share the attempts table
    // with the processor's attempt and idempotency items, which the redrive must never touch.
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "RedriveRunsAndLedger",
        actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem"],
        resources: [attemptsTable.tableArn],
        conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": [REDRIVE_KEY_PATTERN] } },
      }),
    );

    const prefixes = [settings.archivePrefix];
    if (settings.onFailure.type === "s3") prefixes.push(ON_FAILURE_S3_PREFIX);
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "RedriveReadArchive",
        actions: ["s3:GetObject"],
        resources: prefixes.map((prefix) => archiveBucket.arnForObjects(`${prefix}/*`)),
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "RedriveListArchive",
        actions: ["s3:ListBucket"],
        resources: [archiveBucket.bucketArn],
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
  }

  private indexArns(): string[] {
    return [DEAD_LETTER_TABLE.byTopicIndex.name, DEAD_LETTER_TABLE.byStatusIndex.name].map(
      (index) => `${this.resources.deadLetterTable.tableArn}/index/${index}`,
    );
  }

  private acknowledgeObjectWildcard(
    grantee: iam.IGrantable,
    prefix: string,
    action: string,
    why: string,
  ): void {
    if (!(grantee instanceof Construct)) return;
    const bucket = this.resources.archiveBucket.node.defaultChild as s3.CfnBucket;
    const bucketLogicalId = Stack.of(this.scope).getLogicalId(bucket);
    Validations.of(grantee).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${prefix}/*]`,
      reason: `${action} only, only under "${prefix}/": ${why}, so no exact object ARN exists at deploy time.`,
    });
  }
}
