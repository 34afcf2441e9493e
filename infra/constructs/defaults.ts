import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { StartingPosition } from "aws-cdk-lib/aws-lambda";
import { RetentionDays } from "aws-cdk-lib/aws-logs";

/** The pipelines the functions ship with; used when the props name neither pipelines nor known topics. */
export const DEFAULT_SOURCE_TOPICS = ["employees", "user-events"] as const;

/** Where the mapping's S3 on-failure destination writes (Lambda chooses the key, not us). */
export const ON_FAILURE_S3_PREFIX = "aws/lambda";

/**
 * Kafka mappings invoke functions of at most 14 minutes, although Lambda allows 15
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-kafka-configure.html, the note under "Using a
 * self-managed Apache Kafka cluster as an event source"; the MSK page says the same).
 */
export const KAFKA_MAPPING_MAX_TIMEOUT = Duration.minutes(14);

export const DEFAULTS = {
  minimumPollers: 1,
  maximumPollers: 3,
  batchSize: 100,
  maxBatchingWindow: Duration.seconds(1),
  startingPosition: StartingPosition.TRIM_HORIZON,
  retryAttempts: 5,
  bisectBatchOnError: true,
  failureKeyName: "partition",
  ordered: true,
  throwOnFullBatchFailure: true,
  memorySize: 512,
  timeout: Duration.minutes(1),
  logRetention: RetentionDays.ONE_MONTH,
  archivePrefix: "dead-letters",
  /** The index's TTL; the function's own default (DEAD_LETTER_RETENTION_DAYS) is the same 90 days. */
  deadLetterRetention: Duration.days(90),
  transitionToInfrequentAccessAfter: Duration.days(30),
  /** 90 days of index retention plus a month: an indexed dead letter is always readable. */
  transitionToGlacierAfter: Duration.days(120),
  expireAfter: Duration.days(365),
  noncurrentVersionExpireAfter: Duration.days(30),
  removalPolicy: RemovalPolicy.RETAIN,
  offsetLagThreshold: 1000,
  functionErrorsThreshold: 1,
  /** An SDK call that cannot even connect in 3 s is failing; fail it while there is time to retry. */
  sdkConnectTimeout: Duration.seconds(3),
  sdkRequestTimeout: Duration.seconds(10),
  redriveTimeout: Duration.minutes(15),
  redriveMemorySize: 512,
} as const;

/** Powertools service name and Kafka client id of the redrive function. */
export const REDRIVE_SERVICE_NAME = "kafka-redrive";
