import { Stack, Validations } from "aws-cdk-lib";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { DEAD_LETTER_TABLE } from "../../functions/lib/tables";
import { ON_FAILURE_S3_PREFIX } from "./defaults";
import type { MskResourceArns } from "./mskResourceArns";
import type { ResolvedSettings } from "./resolveSettings";
import type { SelfManagedKafkaSource } from "./types";

/**
 * Statements of the processor's role that only the event source mapping uses (it runs with that
 * role): Lambda writes a failed batch to the S3 on-failure destination and lists the bucket first
 * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure.html). No code calls them.
 */
export const MAPPING_ONLY_STATEMENTS: readonly string[] = [
  "WriteOnFailureBatches",
  "ListArchiveForOnFailure",
];

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
  /** Grantees that already read the Kafka secrets (the processor both consumes and produces). */
  private readonly secretsRead = new Set<iam.IGrantable>();

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

  /**
   * Reads the self-managed cluster's credentials and root CA: `GetSecretValue` only (the mapping and
   * kafkaClient.ts call nothing else; CDK's grantRead would add DescribeSecret), and `kms:Decrypt`
   * through Secrets Manager when a customer-managed key encrypts them
   * (https://docs.aws.amazon.com/lambda/latest/dg/with-kafka-permissions.html).
   */
  private sourceSecrets(grantee: iam.IGrantable): void {
    if (this.secretsRead.has(grantee)) return;
    this.secretsRead.add(grantee);
    const source = this.settings.source as SelfManagedKafkaSource;
    const secrets = [source.secret, ...(source.rootCaSecret === undefined ? [] : [source.rootCaSecret])];
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "ReadKafkaSecrets",
        actions: ["secretsmanager:GetSecretValue"],
        resources: secrets.map((secret) => secret.secretArn),
      }),
    );
    if (source.secretsKey === undefined) return;
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "DecryptKafkaSecrets",
        actions: ["kms:Decrypt"],
        resources: [source.secretsKey.keyArn],
        // Only for Secrets Manager reading the secrets on the role's behalf, never direct use of the key.
        conditions: {
          StringEquals: { "kms:ViaService": `secretsmanager.${Stack.of(this.scope).region}.amazonaws.com` },
        },
      }),
    );
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
    // Only the on-failure prefix may be listed. IfExists because AWS does not document which prefix
    // (if any) the mapping's ListObjectsV2 passes, and a refused list would make the mapping drop the
    // batch it was about to save: a request without s3:prefix is allowed, one naming another is not.
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "ListArchiveForOnFailure",
        actions: ["s3:ListBucket"],
        resources: [archiveBucket.bucketArn],
        conditions: { StringLikeIfExists: { "s3:prefix": [`${ON_FAILURE_S3_PREFIX}/*`] } },
      }),
    );
    this.acknowledgeObjectWildcard(
      grantee,
      ON_FAILURE_S3_PREFIX,
      "s3:PutObject",
      "the mapping names on-failure objects itself (aws/lambda/<mapping>/<partition>/<date>/<uuid>)",
    );
  }

  /**
   * The processor's calls: the dead-letter index writes (and reads back) its entries in batches and
   * updates them; the attempt ledger updates counters; the idempotency store reads and writes
   * `PRODUCED#` keys in batches. Never Query, Scan, Delete or the redrive's `REDRIVE#` items.
   */
  processorTables(grantee: iam.IGrantable): void {
    const { deadLetterTable, attemptsTable } = this.resources;
    const calls = ["dynamodb:UpdateItem", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem"];
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "WriteDeadLetterIndex",
        actions: calls,
        resources: [deadLetterTable.tableArn],
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "WriteAttemptsAndIdempotencyKeys",
        actions: calls,
        resources: [attemptsTable.tableArn],
      }),
    );
    // The redrive's runs and ledger share the table; a Deny keeps them out of reach whatever key
    // formats the processor's own items take (dynamodb:LeadingKeys is set on every item call).
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "DenyReplayRunsAndLedger",
        effect: iam.Effect.DENY,
        actions: calls,
        resources: [attemptsTable.tableArn],
        conditions: { "ForAnyValue:StringLike": { "dynamodb:LeadingKeys": [REDRIVE_KEY_PATTERN] } },
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
      // The credentials the producer presents and the root CA it verifies the brokers with.
      this.sourceSecrets(role);
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
    // Only the on-failure replay lists (S3OnFailureDocumentStore); dead letters are read by the key
    // the index holds.
    if (settings.onFailure.type === "s3") {
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: "RedriveListOnFailureBatches",
          actions: ["s3:ListBucket"],
          resources: [archiveBucket.bucketArn],
          conditions: { StringLike: { "s3:prefix": [`${ON_FAILURE_S3_PREFIX}/*`] } },
        }),
      );
    }
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
