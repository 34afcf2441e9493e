/**
 * What the local stack provisions after it starts: topics, the dead-letter bucket, the tables.
 *
 * Plain data so a new pipeline is one more entry in LOCAL_TOPICS; bucket and table names come from
 * the functions' configuration so both sides read the same variables.
 */
import type { CreateTableCommandInput } from "@aws-sdk/client-dynamodb";
import { type Config, loadConfig } from "../functions/lib/config";
import { ATTEMPTS_TABLE, DEAD_LETTER_TABLE } from "../functions/lib/tables";

export interface TopicSpec {
  readonly name: string;
  readonly numPartitions: number;
  /**
   * Replicas per partition; undefined takes the cluster's default: 3 on three brokers or more, as
   * many as there are brokers below that (see replicationDefaults in stack/kafkaCluster.ts).
   */
  readonly replicationFactor?: number;
  /** Topic-level configs such as `retention.ms`. */
  readonly configEntries?: Readonly<Record<string, string>>;
}

export interface TableSpec {
  readonly definition: CreateTableCommandInput;
  /** Attribute DynamoDB expires items by, as the CDK construct configures it. */
  readonly ttlAttribute?: string;
}

export interface StackTopology {
  readonly topics: readonly TopicSpec[];
  readonly buckets: readonly string[];
  readonly tables: readonly TableSpec[];
}

/** Three partitions so every test sees more than one partition's ordering. */
export const DEFAULT_PARTITIONS = 3;

/** A topic with the local defaults: 3 partitions, the cluster's replication factor. */
export function topicSpec(name: string, overrides: Partial<Omit<TopicSpec, "name">> = {}): TopicSpec {
  return { name, numPartitions: DEFAULT_PARTITIONS, ...overrides };
}

/** Source, target and dead-letter topics of each pipeline. */
export const LOCAL_TOPICS: readonly TopicSpec[] = [
  topicSpec("employees"),
  topicSpec("employees.processed"),
  topicSpec("employees.dlq"),
  topicSpec("user-events"),
  topicSpec("user-events.processed"),
  topicSpec("user-events.dlq"),
];

/** The dead-letter index: string keys, two GSIs projecting everything, on-demand. */
export function deadLetterTable(tableName: string): TableSpec {
  const t = DEAD_LETTER_TABLE;
  return {
    definition: {
      TableName: tableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        t.partitionKey,
        t.sortKey,
        ...indexKeys(t.byTopicIndex),
        ...indexKeys(t.byStatusIndex),
      ].map((name) => ({ AttributeName: name, AttributeType: "S" as const })),
      KeySchema: [
        { AttributeName: t.partitionKey, KeyType: "HASH" },
        { AttributeName: t.sortKey, KeyType: "RANGE" },
      ],
      GlobalSecondaryIndexes: [t.byTopicIndex, t.byStatusIndex].map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: "HASH" as const },
          { AttributeName: index.sortKey, KeyType: "RANGE" as const },
        ],
        Projection: { ProjectionType: "ALL" as const },
      })),
    },
    ttlAttribute: t.ttlAttribute,
  };
}

/** The attempt ledger: partition key only, on-demand. */
export function attemptsTable(tableName: string): TableSpec {
  return {
    definition: {
      TableName: tableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: ATTEMPTS_TABLE.partitionKey, AttributeType: "S" }],
      KeySchema: [{ AttributeName: ATTEMPTS_TABLE.partitionKey, KeyType: "HASH" }],
    },
    ttlAttribute: ATTEMPTS_TABLE.ttlAttribute,
  };
}

/**
 * Everything `stack:up` provisions.
 *
 * @example
 * const topology = localTopology(loadConfig({ ARCHIVE_BUCKET: "other-bucket" }));
 */
export function localTopology(config: Config = loadConfig()): StackTopology {
  return {
    topics: LOCAL_TOPICS,
    buckets: [config.archive.bucket],
    tables: [deadLetterTable(config.tables.deadLetters), attemptsTable(config.tables.attempts)],
  };
}

function indexKeys(index: { readonly partitionKey: string; readonly sortKey: string }): string[] {
  return [index.partitionKey, index.sortKey];
}
