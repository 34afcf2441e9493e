/**
 * Idempotent provisioning: each `ensure*` creates what is missing and leaves what exists, so it is
 * safe on every start, on a stack someone else started (docker compose) and from tests.
 */

import { setTimeout as sleep } from "node:timers/promises";
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { type Admin, Kafka } from "kafkajs";
import { type Config, loadConfig } from "../functions/lib/config";
import { localDynamoDbClientConfig, localKafkaConfig, localS3ClientConfig } from "./clients";
import { replicationDefaults } from "./kafkaCluster";
import { kafkaErrorType, LEADERSHIP_MOVING } from "./kafkaErrorType";
import type { StackTopology, TableSpec, TopicSpec } from "./topology";

const REPLICATION_FACTOR = "default.replication.factor";
/**
 * kafkajs's ConfigResourceTypes.BROKER; the enum is not among the names Node finds in kafkajs's
 * CommonJS exports, so it cannot be imported by name from ESM.
 */
const BROKER_RESOURCE = 4;

export interface EnsureResult {
  readonly created: readonly string[];
  readonly existing: readonly string[];
}

/**
 * Creates missing topics and grows existing ones that have fewer partitions than declared (Kafka
 * cannot shrink a topic, so more partitions than declared are left alone). A spec without a
 * replication factor gets the cluster's default for the brokers it has: 3 replicas on a
 * three-broker cluster, where `min.insync.replicas=2` lets acks=all writes go on with one broker
 * down. kafkajs's CreateTopics (v3) predates "-1 means the broker's default", hence counting here.
 */
export async function ensureTopics(admin: Admin, topics: readonly TopicSpec[]): Promise<EnsureResult> {
  const present = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !present.has(t.name));
  const existing = topics.filter((t) => present.has(t.name));
  if (missing.length > 0) {
    const needsDefault = missing.some((t) => t.replicationFactor === undefined);
    const clusterDefault = needsDefault ? await defaultReplicationFactor(admin) : 1;
    await admin.createTopics({
      // kafkajs's own wait gives up on the first UNKNOWN_TOPIC_OR_PARTITION, which a broker of a
      // cluster answers until the controller's record of the new topic reaches it; waited for below.
      waitForLeaders: false,
      topics: missing.map((t) => ({
        topic: t.name,
        numPartitions: t.numPartitions,
        replicationFactor: t.replicationFactor ?? clusterDefault,
        configEntries: Object.entries(t.configEntries ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
    await waitForLeaders(admin, missing);
  }
  if (existing.length > 0) {
    const { topics: metadata } = await admin.fetchTopicMetadata({ topics: existing.map((t) => t.name) });
    const grow = existing.flatMap((spec) => {
      const current = metadata.find((m) => m.name === spec.name)?.partitions.length ?? 0;
      return current < spec.numPartitions ? [{ topic: spec.name, count: spec.numPartitions }] : [];
    });
    if (grow.length > 0) await admin.createPartitions({ topicPartitions: grow, validateOnly: false });
  }
  return { created: missing.map((t) => t.name), existing: existing.map((t) => t.name) };
}

/** Creates the bucket unless it exists (and is ours). */
export async function ensureBucket(s3: S3Client, bucket: string): Promise<EnsureResult> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return { created: [], existing: [bucket] };
  } catch (error) {
    if (httpStatus(error) !== 404) throw error;
  }
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    // Another process created it between our HEAD and CREATE.
    if ((error as Error).name !== "BucketAlreadyOwnedByYou") throw error;
    return { created: [], existing: [bucket] };
  }
  return { created: [bucket], existing: [] };
}

/** Creates missing tables, waits until they are ACTIVE, and turns on TTL where declared. */
export async function ensureTables(
  dynamodb: DynamoDBClient,
  tables: readonly TableSpec[],
): Promise<EnsureResult> {
  const created: string[] = [];
  const existing: string[] = [];
  for (const table of tables) {
    const name = table.definition.TableName;
    if (name === undefined) throw new TypeError("a TableSpec needs a TableName");
    if (await tableExists(dynamodb, name)) {
      existing.push(name);
    } else {
      try {
        await dynamodb.send(new CreateTableCommand(table.definition));
        created.push(name);
      } catch (error) {
        if ((error as Error).name !== "ResourceInUseException") throw error;
        existing.push(name);
      }
      await waitUntilTableExists({ client: dynamodb, maxWaitTime: 60 }, { TableName: name });
    }
    if (table.ttlAttribute !== undefined) await ensureTimeToLive(dynamodb, name, table.ttlAttribute);
  }
  return { created, existing };
}

export interface ProvisionResult {
  readonly topics: EnsureResult;
  readonly buckets: EnsureResult;
  readonly tables: EnsureResult;
}

/**
 * Provisions a whole topology with short-lived clients for the local stack.
 *
 * @example
 * await provisionStack(localTopology());
 */
export async function provisionStack(
  topology: StackTopology,
  config: Config = loadConfig(),
): Promise<ProvisionResult> {
  const admin = new Kafka(localKafkaConfig({ clientId: "stack-provision" }, config)).admin();
  const s3 = new S3Client(localS3ClientConfig(config));
  const dynamodb = new DynamoDBClient(localDynamoDbClientConfig(config));
  try {
    await admin.connect();
    const [topics, buckets, tables] = await Promise.all([
      ensureTopics(admin, topology.topics),
      ensureBuckets(s3, topology.buckets),
      ensureTables(dynamodb, topology.tables),
    ]);
    return { topics, buckets, tables };
  } finally {
    await admin.disconnect().catch(() => undefined);
    s3.destroy();
    dynamodb.destroy();
  }
}

/**
 * Answers of a broker that has not caught up with the controller yet: it does not know the topic, or
 * is named leader but has not created the partition's log (NOT_LEADER_OR_FOLLOWER, kafkajs calls it
 * NOT_LEADER_FOR_PARTITION).
 */
const METADATA_LAG = new Set<string>(["UNKNOWN_TOPIC_OR_PARTITION", ...LEADERSHIP_MOVING]);
const LEADERS_TIMEOUT_MS = 30_000;

/**
 * Resolves once metadata shows every partition of the new topics with a leader and each leader
 * answers ListOffsets for it, so a producer right after provisioning can write. Metadata names a
 * leader a moment before that leader hosts the partition; a produce in between fails for some
 * partitions of a request, and kafkajs retries the whole request, duplicating the partitions that were
 * written (seen on one broker: one record of three written twice).
 */
async function waitForLeaders(admin: Admin, topics: readonly TopicSpec[]): Promise<void> {
  const deadline = Date.now() + LEADERS_TIMEOUT_MS;
  const names = topics.map((t) => t.name);
  for (;;) {
    try {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics: names });
      const led = topics.every((spec) => {
        const partitions = metadata.find((m) => m.name === spec.name)?.partitions ?? [];
        return partitions.length >= spec.numPartitions && partitions.every((p) => p.leader >= 0);
      });
      if (led) {
        for (const name of names) await admin.fetchTopicOffsets(name);
        return;
      }
    } catch (error) {
      if (!isMetadataLag(error)) throw error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `topics ${names.join(", ")} have no leader for every partition after ${LEADERS_TIMEOUT_MS} ms`,
      );
    }
    await sleep(100);
  }
}

function isMetadataLag(error: unknown): boolean {
  return METADATA_LAG.has(kafkaErrorType(error) ?? "");
}

async function defaultReplicationFactor(admin: Admin): Promise<number> {
  const { brokers } = await admin.describeCluster();
  const broker = brokers[0];
  if (broker === undefined) return 1;
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: BROKER_RESOURCE, name: String(broker.nodeId), configNames: [REPLICATION_FACTOR] }],
  });
  const entry = resources[0]?.configEntries.find((e) => e.configName === REPLICATION_FACTOR);
  const value = Number(entry?.configValue);
  // A broker that hides its configuration: as many replicas as brokers answer, up to MSK's 3.
  return Number.isInteger(value) && value > 0 ? value : replicationDefaults(brokers.length).replicationFactor;
}

async function ensureBuckets(s3: S3Client, buckets: readonly string[]): Promise<EnsureResult> {
  const results = await Promise.all(buckets.map((bucket) => ensureBucket(s3, bucket)));
  return {
    created: results.flatMap((r) => r.created),
    existing: results.flatMap((r) => r.existing),
  };
}

async function tableExists(dynamodb: DynamoDBClient, name: string): Promise<boolean> {
  try {
    await dynamodb.send(new DescribeTableCommand({ TableName: name }));
    return true;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return false;
    throw error;
  }
}

async function ensureTimeToLive(dynamodb: DynamoDBClient, table: string, attribute: string): Promise<void> {
  const current = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: table }));
  const status = current.TimeToLiveDescription?.TimeToLiveStatus;
  if (status === "ENABLED" || status === "ENABLING") return;
  await dynamodb.send(
    new UpdateTimeToLiveCommand({
      TableName: table,
      TimeToLiveSpecification: { AttributeName: attribute, Enabled: true },
    }),
  );
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}
