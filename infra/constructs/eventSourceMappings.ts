import type * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { KafkaDlq } from "aws-cdk-lib/aws-lambda-event-sources";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type { Construct } from "constructs";
import type { ResolvedPipeline, ResolvedSettings } from "./resolveSettings";
import type { SelfManagedKafkaSource } from "./types";

export interface MappingTargets {
  readonly processor: lambda.IFunction;
  readonly processorRole: iam.IRole;
  readonly archiveBucket: s3.IBucket;
}

/**
 * One provisioned-mode mapping per source topic, reporting partial batch failures; with
 * `schemaRegistry`, the mapping validates (and, in JSON format, deserializes) records against it
 * before invoking the function.
 */
export function createMapping(
  scope: Construct,
  settings: ResolvedSettings,
  pipeline: ResolvedPipeline,
  targets: MappingTargets,
  schemaRegistry?: lambda.ISchemaRegistry,
): lambda.EventSourceMapping {
  const source = settings.source;
  const mapping = new lambda.EventSourceMapping(scope, `Mapping-${pipeline.source}`, {
    target: targets.processor,
    ...(source.type === "msk"
      ? { eventSourceArn: source.clusterArn }
      : {
          kafkaBootstrapServers: [...source.bootstrapServers],
          sourceAccessConfigurations: selfManagedAccess(source),
        }),
    kafkaTopic: pipeline.source,
    kafkaConsumerGroupId: pipeline.consumerGroupId,
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
        ? new ArchiveOnFailureDestination(targets.archiveBucket)
        : new KafkaDlq(settings.onFailure.topic),
    supportS3OnFailureDestination: true,
    ...(schemaRegistry === undefined ? {} : { schemaRegistryConfig: schemaRegistry }),
    metricsConfig: {
      metrics: [
        lambda.MetricType.EVENT_COUNT,
        lambda.MetricType.ERROR_COUNT,
        lambda.MetricType.KAFKA_METRICS,
      ],
    },
  });
  // Lambda validates the role's Kafka, secret and destination permissions when it creates the mapping.
  mapping.node.addDependency(targets.processorRole);
  return mapping;
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
