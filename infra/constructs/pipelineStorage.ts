import { RemovalPolicy } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as s3 from "aws-cdk-lib/aws-s3";
import type { Construct } from "constructs";
import { ATTEMPTS_TABLE, DEAD_LETTER_TABLE } from "../../functions/lib/tables";
import type { ResolvedSettings } from "./resolveSettings";

/**
 * The pipeline's state: the dead-letter index, the attempts table and the archive bucket with its
 * access-log bucket. Created directly in the pipeline's scope (not a child construct) so their logical
 * ids, and with them the retained resources of a deployed stack, never change.
 */

/** One item per dead letter, served by keys and the two indexes of functions/lib/tables.ts. */
export function createDeadLetterTable(scope: Construct, settings: ResolvedSettings): dynamodb.Table {
  const table = new dynamodb.Table(scope, "DeadLetterTable", {
    ...tableDefaults(settings),
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

/** Attempt ledger, idempotency keys and the redrive's runs and ledger (`REDRIVE#…`). */
export function createAttemptsTable(scope: Construct, settings: ResolvedSettings): dynamodb.Table {
  return new dynamodb.Table(scope, "AttemptsTable", {
    ...tableDefaults(settings),
    partitionKey: { name: ATTEMPTS_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
    timeToLiveAttribute: ATTEMPTS_TABLE.ttlAttribute,
  });
}

function tableDefaults(settings: ResolvedSettings) {
  const { removalPolicy } = settings;
  return {
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    removalPolicy,
    deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
  } as const;
}

export function createAccessLogsBucket(scope: Construct, settings: ResolvedSettings): s3.Bucket {
  // cdk-nag's S1 does not ask a log target bucket to log itself, so no acknowledgement is needed.
  return new s3.Bucket(scope, "AccessLogsBucket", {
    // Log delivery supports SSE-S3 only, not SSE-KMS.
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    lifecycleRules: [{ id: "expire-access-logs", expiration: settings.lifecycle.expireAfter }],
    removalPolicy: settings.removalPolicy,
    ...emptiedOnDelete(settings),
  });
}

export function createArchiveBucket(
  scope: Construct,
  settings: ResolvedSettings,
  accessLogs: s3.IBucket,
): s3.Bucket {
  const { lifecycle, removalPolicy } = settings;
  return new s3.Bucket(scope, "ArchiveBucket", {
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
    ...emptiedOnDelete(settings),
  });
}

/**
 * A bucket that must go with the stack must be emptied first: CloudFormation cannot delete a bucket
 * that holds objects, and the archive is versioned while its access-log bucket keeps receiving logs.
 * CDK's autoDeleteObjects deletes every object version when the bucket is deleted.
 */
function emptiedOnDelete(settings: ResolvedSettings): { autoDeleteObjects?: true } {
  return settings.removalPolicy === RemovalPolicy.DESTROY ? { autoDeleteObjects: true } : {};
}
