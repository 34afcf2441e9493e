import {
  Annotations,
  CfnOutput,
  Duration,
  type Environment,
  Fn,
  RemovalPolicy,
  Stack,
  type StackProps,
} from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as kms from "aws-cdk-lib/aws-kms";
import { StartingPosition } from "aws-cdk-lib/aws-lambda";
import type { RetentionDays } from "aws-cdk-lib/aws-logs";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import type { Construct } from "constructs";
import { pipelines as codePipelines } from "../functions/processor/pipelines";
import type { AppConfig, AppSourceConfig } from "./config";
import { clusterRegion } from "./constructs/clusterRegion";
import { PipelinePropsError } from "./constructs/errors";
import { KafkaLambdaPipeline } from "./constructs/KafkaLambdaPipeline";
import type { KafkaSource } from "./constructs/types";

export interface KafkaPipelineStackProps extends StackProps {
  readonly config: AppConfig;
}

/**
 * The deployable app: turns the validated configuration into {@link KafkaLambdaPipeline} props.
 * Existing network resources and secrets are imported by ID, never looked up, so synth needs no
 * AWS credentials.
 */
export class KafkaPipelineStack extends Stack {
  readonly pipeline: KafkaLambdaPipeline;

  constructor(scope: Construct, id: string, props: KafkaPipelineStackProps) {
    super(scope, id, { ...props, env: props.env ?? deploymentEnvironment(props.config) });
    const { config } = props;
    const optional = <T, R>(value: T | undefined, map: (v: T) => R): R | undefined =>
      value === undefined ? undefined : map(value);

    this.pipeline = new KafkaLambdaPipeline(this, "Pipeline", {
      source: this.importSource(config.source),
      ...(config.awsServiceAccess === undefined ? {} : { awsServiceAccess: config.awsServiceAccess }),
      pipelines: config.pipelines,
      // The topics functions/processor/pipelines.ts has pipelines for: another one fails synth.
      knownSourceTopics: codePipelines.map((pipeline) => pipeline.sourceTopic),
      deadLetterRetention: optional(config.deadLetterRetentionDays, Duration.days),
      consumerGroupIdPrefix: config.consumerGroupIdPrefix,
      pollers: {
        mode: "provisioned",
        minimumPollers: config.pollers?.minimum,
        maximumPollers: config.pollers?.maximum,
        pollerGroupName: config.pollers?.groupName,
      },
      batchSize: config.batchSize,
      maxBatchingWindow: optional(config.batchingWindowSeconds, Duration.seconds),
      startingPosition: optional(config.startingPosition, (p) => StartingPosition[p]),
      retryAttempts: config.retryAttempts,
      maxRecordAge: optional(config.maxRecordAgeSeconds, Duration.seconds),
      bisectBatchOnError: config.bisectBatchOnError,
      onFailure: config.onFailure,
      failureKeyName: config.processor?.failureKeyName,
      ordered: config.processor?.ordered,
      throwOnFullBatchFailure: config.processor?.throwOnFullBatchFailure,
      memorySize: config.processor?.memorySize,
      timeout: optional(config.processor?.timeoutSeconds, Duration.seconds),
      // The config schema accepts only the day counts RetentionDays defines.
      logRetention: config.processor?.logRetentionDays as RetentionDays | undefined,
      serviceName: config.processor?.serviceName,
      metricsNamespace: config.processor?.metricsNamespace,
      archivePrefix: config.archive?.prefix,
      archiveLifecycle: {
        transitionToInfrequentAccessAfter: optional(config.archive?.infrequentAccessAfterDays, Duration.days),
        transitionToGlacierAfter: optional(config.archive?.glacierAfterDays, Duration.days),
        expireAfter: optional(config.archive?.expireAfterDays, Duration.days),
        noncurrentVersionExpireAfter: optional(
          config.archive?.noncurrentVersionsExpireAfterDays,
          Duration.days,
        ),
      },
      removalPolicy: config.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      alarmEmail: config.alarms?.email,
      offsetLagThreshold: config.alarms?.offsetLagThreshold,
      functionErrorsThreshold: config.alarms?.functionErrorsThreshold,
      canary: config.canary,
      redrive:
        config.redrive === false
          ? false
          : {
              timeout: optional(config.redrive?.timeoutSeconds, Duration.seconds),
              memorySize: config.redrive?.memorySize,
              maxRedrives: config.redrive?.maxRedrives,
              ratePerSecond: config.redrive?.ratePerSecond,
              batchSize: config.redrive?.batchSize,
            },
    });

    const outputs = {
      ProcessorFunctionName: this.pipeline.processor.functionName,
      ArchiveBucketName: this.pipeline.archiveBucket.bucketName,
      DeadLetterTableName: this.pipeline.deadLetterTable.tableName,
      AttemptsTableName: this.pipeline.attemptsTable.tableName,
      AlarmTopicArn: this.pipeline.alarmTopic.topicArn,
      DashboardName: this.pipeline.dashboard.dashboardName,
      ...(this.pipeline.redriveFunction === undefined
        ? {}
        : { RedriveFunctionName: this.pipeline.redriveFunction.functionName }),
    };
    // With the canary, also what `npm run canary -- --stack <name>` reads (the first four are the same).
    for (const [name, value] of Object.entries({ ...outputs, ...this.pipeline.canary?.outputs })) {
      new CfnOutput(this, name, { value });
    }
  }

  private importSource(source: AppSourceConfig): KafkaSource {
    const network = source.vpcId === undefined ? undefined : this.importNetwork(source);
    if (source.type === "msk") {
      if (network === undefined) throw new Error("unreachable: the MSK config requires vpcId");
      return {
        type: "msk",
        clusterArn: source.clusterArn,
        bootstrapBrokers: source.bootstrapBrokers,
        ...network,
      };
    }
    return {
      type: "self-managed",
      bootstrapServers: source.bootstrapServers,
      authentication: source.authentication,
      secret: secretsmanager.Secret.fromSecretCompleteArn(this, "KafkaSecret", source.secretArn),
      ...(source.rootCaSecretArn === undefined
        ? {}
        : {
            rootCaSecret: secretsmanager.Secret.fromSecretCompleteArn(
              this,
              "KafkaRootCa",
              source.rootCaSecretArn,
            ),
          }),
      ...(source.secretsKmsKeyArn === undefined
        ? {}
        : { secretsKey: kms.Key.fromKeyArn(this, "KafkaSecretsKey", source.secretsKmsKeyArn) }),
      ...(network ?? {}),
    };
  }

  private importNetwork(source: AppSourceConfig): {
    vpc: ec2.IVpc;
    vpcSubnets: ec2.SubnetSelection;
    securityGroups: ec2.ISecurityGroup[];
  } {
    // Fn.getAzs() only satisfies the import: the subnets are given explicitly and nothing reads the
    // VPC's zone list or the subnets' route tables, which a lookup would need credentials to fill in.
    const vpc = ec2.Vpc.fromVpcAttributes(this, "Vpc", {
      vpcId: source.vpcId ?? "",
      availabilityZones: Fn.getAzs(),
    });
    Annotations.of(vpc).acknowledgeWarning(
      "@aws-cdk/aws-ec2:vpcAttributeIsListTokenavailabilityZones",
      "Subnets are selected explicitly by ID; the zone list is never read.",
    );
    const subnets = (source.subnetIds ?? []).map((subnetId, i) => {
      const subnet = ec2.Subnet.fromSubnetId(this, `Subnet${i}`, subnetId);
      Annotations.of(subnet).acknowledgeWarning(
        "@aws-cdk/aws-ec2:noSubnetRouteTableId",
        "The pipeline adds no routes; it only places network interfaces in the subnet.",
      );
      return subnet;
    });
    const securityGroups = (source.securityGroupIds ?? []).map((groupId, i) =>
      // Immutable: the pipeline must not add rules to a security group it does not own.
      ec2.SecurityGroup.fromSecurityGroupId(this, `SecurityGroup${i}`, groupId, { mutable: false }),
    );
    return { vpc, vpcSubnets: { subnets }, securityGroups };
  }
}

/**
 * Where the stack deploys: the configured environment, and for MSK always the cluster's region (a
 * deployment to another region would fail half-way, after the retained tables and buckets exist).
 */
export function deploymentEnvironment(config: AppConfig): Environment | undefined {
  const region = config.source.type === "msk" ? clusterRegion(config.source.clusterArn) : undefined;
  if (region !== undefined && config.env?.region !== undefined && config.env.region !== region) {
    throw new PipelinePropsError(
      "env.region",
      `is ${config.env.region}, but the MSK cluster (source.clusterArn) is in ${region}: deploy to the cluster's region`,
    );
  }
  if (config.env === undefined && region === undefined) return undefined;
  return {
    ...(config.env?.account === undefined ? {} : { account: config.env.account }),
    ...(region === undefined
      ? config.env?.region === undefined
        ? {}
        : { region: config.env.region }
      : { region }),
  };
}
