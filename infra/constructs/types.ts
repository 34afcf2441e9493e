import type { Duration } from "aws-cdk-lib";
import type * as ec2 from "aws-cdk-lib/aws-ec2";
import type * as kms from "aws-cdk-lib/aws-kms";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";

/** Which Kafka the pipeline reads from; the two variants differ in auth, networking and IAM. */
export type KafkaSource = MskSource | SelfManagedKafkaSource;

/**
 * Amazon MSK with IAM access control.
 *
 * The mapping reads with the function's role, and the function produces to the target and DLQ topics
 * over SASL/OAUTHBEARER (IAM), so both need `kafka-cluster:*` actions scoped to exact topic and group
 * ARNs, which the construct derives from the cluster ARN.
 */
export interface MskSource {
  readonly type: "msk";
  /** `arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>`. */
  readonly clusterArn: string;
  /**
   * The cluster's IAM bootstrap brokers (port 9098), comma-separated, for the function's producer.
   * Given explicitly because reading them from MSK at synth time would need AWS credentials.
   */
  readonly bootstrapBrokers: string;
  /** The VPC of the cluster; the function runs in it to reach the brokers. */
  readonly vpc: ec2.IVpc;
  /** Private subnets for the function's network interfaces. */
  readonly vpcSubnets: ec2.SubnetSelection;
  /** Security groups that the brokers accept on port 9098. */
  readonly securityGroups: readonly ec2.ISecurityGroup[];
}

export const SELF_MANAGED_AUTHENTICATIONS = ["sasl-scram-512", "sasl-scram-256", "mtls"] as const;
export type SelfManagedAuthentication = (typeof SELF_MANAGED_AUTHENTICATIONS)[number];

/** A Kafka cluster you run yourself (or another provider's), reached over TLS. */
export interface SelfManagedKafkaSource {
  readonly type: "self-managed";
  /** `host:port` of at least one broker. */
  readonly bootstrapServers: readonly string[];
  /** SASL/SCRAM (username/password) or mutual TLS (client certificate). */
  readonly authentication: SelfManagedAuthentication;
  /**
   * SCRAM: `{"username","password"}`; mTLS: `{"certificate","privateKey"}` (PEM). The mapping and the
   * function both read it.
   */
  readonly secret: secretsmanager.ISecret;
  /**
   * Root CA of brokers whose certificates a private CA signed.
   * @default - the brokers' certificates chain to a public CA
   */
  readonly rootCaSecret?: secretsmanager.ISecret;
  /**
   * The customer-managed KMS key that encrypts `secret` and `rootCaSecret`. The mapping (which reads
   * them with the processor's role) and both functions then need `kms:Decrypt` on it
   * (https://docs.aws.amazon.com/lambda/latest/dg/with-kafka-permissions.html).
   * @default - the secrets use the AWS-managed key `aws/secretsmanager`, which needs no grant
   */
  readonly secretsKey?: kms.IKey;
  /**
   * The VPC to reach brokers that are not on the internet; the mapping and the function both use it.
   * @default - brokers are reached over the internet
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets for the mapping and the function; required with `vpc`.
   * @default - none (no VPC)
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Security groups for the mapping and the function; required with `vpc`.
   * @default - none (no VPC)
   */
  readonly securityGroups?: readonly ec2.ISecurityGroup[];
}

/**
 * How the functions, which run in the cluster's VPC, reach S3, DynamoDB and (self-managed SCRAM or
 * mTLS) Secrets Manager. A VPC function has no route to AWS services without a NAT gateway or VPC
 * endpoints (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc-internet.html); without
 * one, the first dead letter's write hangs until the invocation's deadline. An S3 on-failure
 * destination also needs an S3 endpoint in the cluster's VPC
 * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure.html), or the mapping drops the
 * batches it gives up on.
 *
 * STS and CloudWatch are never called from the VPC: the MSK IAM signer signs with the role's
 * credentials locally, and metrics are EMF log lines that Lambda ships.
 */
export type AwsServiceAccess =
  /** A NAT gateway or the endpoints already serve the subnets; the construct adds nothing. */
  | { readonly type: "nat-or-existing-endpoints" }
  /**
   * The construct creates S3 and DynamoDB gateway endpoints on these route tables (those of the
   * functions' and the cluster's subnets), and a Secrets Manager interface endpoint in the
   * functions' subnets when the functions read Kafka secrets (self-managed SCRAM or mTLS).
   */
  | { readonly type: "create-endpoints"; readonly routeTableIds: readonly string[] };

/** One source topic, where its good records go, and where its dead letters go. */
export interface TopicPipeline {
  readonly source: string;
  /** @default `<source>.processed` */
  readonly target?: string;
  /** @default `<source>.dlq` */
  readonly dlq?: string;
  /**
   * Must be unique among all Kafka mappings of the account and cannot change after creation.
   * @default `<consumerGroupIdPrefix>-<source>`
   */
  readonly consumerGroupId?: string;
}

/**
 * Where the mapping sends a batch whose retries or record age ran out: the last safety net after the
 * function's own DLQ topic and archive.
 */
export type OnFailureDestination =
  /** The archive bucket; S3 is the only destination that keeps the whole invocation payload. */
  | { readonly type: "s3" }
  /**
   * A topic on the source cluster. Keep it apart from the function's DLQ topics: it carries Lambda's
   * own metadata format, not the pipeline's dead-letter envelope.
   */
  | { readonly type: "kafka"; readonly topic: string };

/**
 * How the mapping's pollers scale. Kafka mappings accept ReportBatchItemFailures, retries, bisect,
 * record age and an on-failure destination only in provisioned mode, and the construct always uses
 * them, so `on-demand` is refused with an explanation.
 */
export type PollerConfig =
  | {
      readonly mode: "provisioned";
      /** @default 1 */
      readonly minimumPollers?: number;
      /** @default 3 */
      readonly maximumPollers?: number;
      /**
       * Mappings with the same group share poller capacity.
       * @default - dedicated pollers per mapping
       */
      readonly pollerGroupName?: string;
    }
  | { readonly mode: "on-demand" };

/** Lifecycle of archived dead letters (objects under the archive prefix and on-failure batches). */
export interface ArchiveLifecycle {
  /** @default Duration.days(30) */
  readonly transitionToInfrequentAccessAfter?: Duration;
  /** @default Duration.days(90) */
  readonly transitionToGlacierAfter?: Duration;
  /** @default Duration.days(365) */
  readonly expireAfter?: Duration;
  /** Versioning keeps overwritten objects; this bounds how long. @default Duration.days(30) */
  readonly noncurrentVersionExpireAfter?: Duration;
}

/**
 * The dead-letter redrive function (`functions/redrive/handler.ts`): operators invoke it directly with
 * a redrive request as its event; it has no event source. The per-request options of the event win
 * over `maxRedrives`, `ratePerSecond` and `batchSize`, which only set its defaults.
 */
export interface RedriveFunctionOptions {
  /**
   * Longest invocation (1 to 15 minutes). The function stops 15 s before it, saves its checkpoint
   * and returns the run id to resume with, so a long redrive spans several invocations.
   * @default Duration.minutes(15)
   */
  readonly timeout?: Duration;
  /** Memory in MB. @default 512 */
  readonly memorySize?: number;
  /**
   * Refuse a dead letter whose record was already redriven this often (1-1000), so nothing loops.
   * @default - the function's own default, 3
   */
  readonly maxRedrives?: number;
  /**
   * Records produced per second (1-100000), gentle on a consumer that is recovering.
   * @default - the function's own default, 100
   */
  readonly ratePerSecond?: number;
  /**
   * Records per produce request and status-update round (1-500): also the most a crash can duplicate.
   * @default - the function's own default, 25
   */
  readonly batchSize?: number;
}

/**
 * The canary pipeline (functions/lib/canary): its own topic, read by its own event source mapping on
 * the processor, with its own target and DLQ topics, so that `npm run canary -- --stack <name>` can
 * prove the deployed path (target, dead letters, redelivery of a partial batch response) without
 * touching any user topic.
 */
export interface CanaryOptions {
  /**
   * The canary's source topic; results go to `<topic>.out`, dead letters to `<topic>.dlq`. Create the
   * three topics before deploying, like every other topic of the pipeline.
   * @default `<stackName>.canary`
   */
  readonly topic?: string;
}

/** Which part of each record the mapping validates (and, with `JSON`, deserializes). */
export type SchemaValidatedAttribute = "key" | "value";

/**
 * What the mapping delivers once it validated a record: `JSON`, the record deserialized to JSON (its
 * schema id on the record as `keySchemaMetadata` / `valueSchemaMetadata`), or `SOURCE`, the original
 * bytes with the registry's header removed
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-eventsourcemapping-schemaregistryconfig.html).
 */
export type EventRecordFormatName = "JSON" | "SOURCE";

/**
 * The event source mapping's own schema registry integration: Lambda validates Avro, Protobuf and JSON
 * Schema records against the registry before it invokes the function, in provisioned mode only, one
 * registry per mapping (https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html).
 * Records it cannot find a schema for or cannot deserialize never reach the function: they go to the
 * mapping's on-failure destination with the reason (see the README).
 */
export type MappingSchemaRegistry = GlueMappingSchemaRegistry | ConfluentMappingSchemaRegistry;

interface MappingSchemaRegistryBase {
  readonly eventRecordFormat: EventRecordFormatName;
  /** At least one of `key` and `value`. */
  readonly validate: readonly SchemaValidatedAttribute[];
}

/**
 * AWS Glue Schema Registry. The mapping reads it with the processor's role, which gets
 * `glue:GetRegistry` on the registry and `glue:GetSchemaVersion` on it and its schemas only.
 */
export interface GlueMappingSchemaRegistry extends MappingSchemaRegistryBase {
  readonly type: "glue";
  /** `arn:<partition>:glue:<region>:<account>:registry/<name>`, as a literal. */
  readonly registryArn: string;
}

/** A Confluent-compatible registry (Confluent Cloud or Platform, Apicurio's ccompat API, ...). */
export interface ConfluentMappingSchemaRegistry extends MappingSchemaRegistryBase {
  readonly type: "confluent";
  /** The registry's base URL, e.g. `https://psrc-xxxxx.eu-west-1.aws.confluent.cloud`. */
  readonly url: string;
  /**
   * How the mapping authenticates: `basic` (a secret with `username` and `password`) or
   * `client-certificate` (mutual TLS). The processor's role may read the secret.
   * @default - no authentication
   */
  readonly authentication?: {
    readonly type: "basic" | "client-certificate";
    readonly secret: secretsmanager.ISecret;
  };
  /**
   * Root CA of a registry whose certificate a private CA signed.
   * @default - the registry's certificate chains to a public CA
   */
  readonly rootCaSecret?: secretsmanager.ISecret;
}
