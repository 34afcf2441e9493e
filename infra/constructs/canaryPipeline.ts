import { Stack } from "aws-cdk-lib";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type { Construct, IDependable } from "constructs";
import type { CanaryTopics } from "../../functions/lib/canary/canaryRecord";
import { CANARY_STACK_OUTPUTS, KAFKA_CONNECTION_OUTPUTS } from "../../functions/lib/canary/stackOutputs";
import { createMapping, type MappingTargets } from "./eventSourceMappings";
import type { MskResourceArns } from "./mskResourceArns";
import type { ResolvedPipeline, ResolvedSettings } from "./resolveSettings";

/** What the construct deployed for the canary (the `canary` prop). */
export interface CanaryPipeline {
  readonly topics: CanaryTopics;
  readonly consumerGroupId: string;
  /** The canary topic's event source mapping on the processor, with the user mappings' settings. */
  readonly mapping: lambda.EventSourceMapping;
  /**
   * What `npm run canary -- --stack <name>` reads, by output name (functions/lib/canary/stackOutputs.ts):
   * the deployable stack emits them as CfnOutputs; emit the same in your own app to use the tool.
   */
  readonly outputs: Readonly<Record<string, string>>;
}

export interface CanaryResources extends MappingTargets {
  readonly processor: lambda.IFunction;
  readonly deadLetterTable: dynamodb.ITable;
  readonly attemptsTable: dynamodb.ITable;
  readonly archiveBucket: s3.IBucket;
  /** The processor's Kafka variables (KafkaLambdaPipeline.kafkaEnvironment). */
  readonly kafkaEnvironment: Readonly<Record<string, string>>;
  readonly mskArns: MskResourceArns | undefined;
  /** VPC endpoints the mapping's on-failure deliveries need, created before it. */
  readonly endpoints: readonly IDependable[];
}

/**
 * The processor's variables for its mapped topics: SOURCE_TOPICS names every topic a mapping delivers
 * (the canary's too), CANARY_TOPIC the one the function adds the canary pipeline for.
 */
export function mappedTopicsEnvironment(settings: ResolvedSettings): Record<string, string> {
  const { canary } = settings;
  const sources = [...settings.pipelines, ...(canary === undefined ? [] : [canary])].map((p) => p.source);
  return {
    SOURCE_TOPICS: sources.join(","),
    ...(canary === undefined ? {} : { CANARY_TOPIC: canary.source }),
  };
}

/** The mappings to monitor: a canary mapping that cannot poll alarms like any other. */
export function withCanaryMapping(
  mappings: ReadonlyMap<string, lambda.IEventSourceMapping>,
  canary: CanaryPipeline | undefined,
): ReadonlyMap<string, lambda.IEventSourceMapping> {
  return canary === undefined ? mappings : new Map([...mappings, [canary.topics.source, canary.mapping]]);
}

/** The canary's topics among those the processor may write: its target and DLQ topics only. */
export function canaryProduceTopics(canary: ResolvedPipeline | undefined): string[] {
  return canary === undefined ? [] : [canary.target, canary.dlq];
}

/**
 * The canary's event source mapping on the processor (the same settings as the user's mappings, its
 * own consumer group), what the mapping needs to read the canary topic with the processor's role, and
 * the outputs the canary tool reads.
 */
export function addCanaryPipeline(
  scope: Construct,
  settings: ResolvedSettings,
  canary: ResolvedPipeline,
  resources: CanaryResources,
): CanaryPipeline {
  const { mskArns, processorRole } = resources;
  if (mskArns !== undefined) {
    // Self-managed Kafka needs nothing more: the role already reads the credentials, the ACLs decide.
    processorRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "ReadCanaryTopic",
        actions: ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"],
        resources: [mskArns.topic(canary.source)],
      }),
    );
    processorRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "CommitCanaryConsumerGroup",
        actions: ["kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"],
        resources: [mskArns.group(canary.consumerGroupId)],
      }),
    );
  }
  const mapping = createMapping(scope, settings, canary, resources);
  mapping.node.addDependency(...resources.endpoints);

  const kafka = Object.fromEntries(
    Object.entries(KAFKA_CONNECTION_OUTPUTS).flatMap(([variable, output]) => {
      const value = resources.kafkaEnvironment[variable];
      return value === undefined ? [] : [[output, value]];
    }),
  );
  return {
    topics: { source: canary.source, target: canary.target, dlq: canary.dlq },
    consumerGroupId: canary.consumerGroupId,
    mapping,
    outputs: {
      [CANARY_STACK_OUTPUTS.processorFunctionName]: resources.processor.functionName,
      [CANARY_STACK_OUTPUTS.archiveBucket]: resources.archiveBucket.bucketName,
      [CANARY_STACK_OUTPUTS.deadLetterTable]: resources.deadLetterTable.tableName,
      [CANARY_STACK_OUTPUTS.attemptsTable]: resources.attemptsTable.tableName,
      [CANARY_STACK_OUTPUTS.canaryTopic]: canary.source,
      [CANARY_STACK_OUTPUTS.canaryTargetTopic]: canary.target,
      [CANARY_STACK_OUTPUTS.canaryDlqTopic]: canary.dlq,
      [CANARY_STACK_OUTPUTS.archivePrefix]: settings.archivePrefix,
      [CANARY_STACK_OUTPUTS.failureKeyName]: settings.failureKeyName,
      [CANARY_STACK_OUTPUTS.region]: Stack.of(scope).region,
      ...kafka,
    },
  };
}
