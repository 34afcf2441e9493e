import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { gunzipSync } from "node:zlib";
import { DynamoDBClient, QueryCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import type { Context } from "aws-lambda";
import { type Admin, Kafka, type Message } from "kafkajs";
import { buildInvocationEvent, toPolledRecord } from "../../../emulator/eventBuilder";
import { deadLetterKey, parseDeadLetterItem } from "../../../functions/lib/adapters/DynamoDeadLetterIndex";
import { type KafkaProducer, loadConfig } from "../../../functions/lib/config";
import type { DeadLetterEnvelope } from "../../../functions/lib/core/deadLetter";
import type { KafkaBatchResponse, KafkaEvent } from "../../../functions/lib/core/types";
import { dynamoClientConfig, s3ClientConfig } from "../../../functions/lib/lambda/createProcessor";
import { DEAD_LETTER_TABLE } from "../../../functions/lib/tables";
import { buildLambdaBundle } from "../../../infra/bundling/lambdaBundle";
import { localKafkaConfig } from "../../../stack/clients";
import { ensureTopics } from "../../../stack/provision";
import { topicSpec } from "../../../stack/topology";
import { type ConsumedRecord, consumeRecords } from "../../support/kafka";
import { uniqueName } from "../../support/names";

/**
 * KRaft acknowledges a new topic before every broker's metadata shows all its partitions; a client
 * that reads metadata in between sees fewer partitions (seen here: records sent with explicit
 * partitions 1 and 2 all landed in partition 0). Wait until the metadata is complete.
 */
async function waitForPartitions(admin: Admin, topics: readonly string[], partitions = 3): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [...topics] });
    const complete = metadata.every((t) => t.partitions.filter((p) => p.leader >= 0).length === partitions);
    if (complete) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`topics ${topics.join(", ")} did not show ${partitions} partitions with leaders in time`);
}

export interface PipelineTopics {
  readonly source: string;
  readonly target: string;
  readonly dlq: string;
}

type BundledHandler = (event: unknown, context: Context) => Promise<KafkaBatchResponse>;
interface BundledModule {
  readonly handler: BundledHandler;
  readonly parts: { readonly sink: { disconnect(): Promise<void> } };
}

const bundles = new Map<string, Promise<string>>();
let instances = 0;
const DEFAULT_ENTRY = join(import.meta.dirname, "bundledProcessor.ts");

/** Built once per test file and entry, with the construct's bundle definition; each harness imports a fresh instance. */
function processorBundle(entry: string): Promise<string> {
  const root = resolve(import.meta.dirname, "../../..");
  let bundle = bundles.get(entry);
  if (bundle === undefined) {
    bundle = buildLambdaBundle(
      entry,
      join(
        root,
        "node_modules/.cache/it-processor",
        `${process.pid}-${Date.now()}-${bundles.size}`,
        "index.mjs",
      ),
    );
    bundles.set(entry, bundle);
  }
  return bundle;
}

/**
 * `PipelineHarness.create` with `KAFKA_PRODUCER=producer`, for tests that every producer behind
 * the sink port must pass (`describe.each(KAFKA_PRODUCERS)`); topic names say which producer.
 */
export function producerHarness(producer: KafkaProducer) {
  return (name: string, env: Record<string, string> = {}): Promise<PipelineHarness> =>
    PipelineHarness.create(`${name}-${producer}`, { KAFKA_PRODUCER: producer, ...env });
}

/**
 * One employee pipeline on topics of its own, run as Lambda runs it: the minified bundle of the
 * processor's wiring (real producer, S3 and DynamoDB adapters, middy), configured by environment
 * variables at INIT, with the event built the way the mapping does.
 */
export class PipelineHarness {
  readonly kafka = new Kafka(localKafkaConfig({ clientId: "it-processor" }));
  readonly admin: Admin = this.kafka.admin();
  readonly s3 = new S3Client(s3ClientConfig(loadConfig()));
  readonly dynamodb = new DynamoDBClient(dynamoClientConfig(loadConfig()));

  private constructor(
    readonly topics: PipelineTopics,
    private readonly bundled: BundledModule,
  ) {}

  /**
   * Bundles (once) and INITs a fresh instance of the processor with `env` on top of the test's.
   * `entry` replaces the employee pipeline's entry (it must read IT_SOURCE_TOPIC the same way).
   */
  static async create(
    name: string,
    env: Record<string, string> = {},
    entry: string = DEFAULT_ENTRY,
  ): Promise<PipelineHarness> {
    const source = uniqueName("it.proc", name);
    const topics = { source, target: `${source}.out`, dlq: `${source}.dlq` };
    const path = await processorBundle(entry);
    const initEnv: Record<string, string> = {
      DEADLINE_SAFETY_MS: "1000",
      POWERTOOLS_LOG_LEVEL: "SILENT",
      POWERTOOLS_METRICS_DISABLED: "true",
      ...env,
      IT_SOURCE_TOPIC: source,
    };
    const saved = Object.fromEntries(Object.keys(initEnv).map((k) => [k, process.env[k]]));
    Object.assign(process.env, initEnv);
    try {
      instances += 1;
      const bundled = (await import(`${pathToFileURL(path).href}?instance=${instances}`)) as BundledModule;
      return new PipelineHarness(topics, bundled);
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  }

  async createTopics(
    which: readonly (keyof PipelineTopics)[] = ["source", "target", "dlq"],
    configs: Partial<Record<keyof PipelineTopics, Record<string, string>>> = {},
  ): Promise<void> {
    await this.admin.connect();
    await ensureTopics(
      this.admin,
      which.map((w) => topicSpec(this.topics[w], { configEntries: configs[w] ?? {} })),
    );
    await waitForPartitions(
      this.admin,
      which.map((w) => this.topics[w]),
    );
  }

  async produceSource(messages: readonly Message[]): Promise<void> {
    const producer = this.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic: this.topics.source, acks: -1, messages: [...messages] });
    await producer.disconnect();
  }

  /** Reads the source topic back and builds the invocation event Lambda would send. */
  async eventFor(count: number): Promise<KafkaEvent> {
    const records = await this.read("source", count);
    return buildInvocationEvent(
      records.map((r) => toPolledRecord(r.topic, r.partition, r.message)),
      {
        eventSource: "aws:kafka",
        eventSourceArn: "arn:aws:kafka:us-east-1:000000000000:cluster/local/1",
        bootstrapServers: "127.0.0.1:9092",
      },
    );
  }

  invoke(event: KafkaEvent, options: { remainingMs?: number } = {}): Promise<KafkaBatchResponse> {
    const started = Date.now();
    const context = {
      functionName: "it-processor",
      functionVersion: "$LATEST",
      awsRequestId: uniqueName("req"),
      invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:it-processor",
      memoryLimitInMB: "512",
      getRemainingTimeInMillis: () => (options.remainingMs ?? 30_000) - (Date.now() - started),
    } as unknown as Context;
    // The event goes through JSON, as Lambda's does.
    return this.bundled.handler(JSON.parse(JSON.stringify(event)), context);
  }

  read(which: keyof PipelineTopics, count: number, timeoutMs = 20_000): Promise<ConsumedRecord[]> {
    return consumeRecords(this.kafka, {
      topic: this.topics[which],
      groupId: uniqueName("it.proc.reader", `${which}-${Math.random().toString(36).slice(2)}`),
      count,
      timeoutMs,
    });
  }

  async archivedEnvelopes(): Promise<DeadLetterEnvelope[]> {
    const bucket = loadConfig().archive.bucket;
    const { Contents = [] } = await this.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `dead-letters/topic=${this.topics.source}/` }),
    );
    const envelopes: DeadLetterEnvelope[] = [];
    for (const object of Contents) {
      const { Body } = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
      const text = gunzipSync(
        Buffer.from(await (Body?.transformToByteArray() ?? Promise.resolve(new Uint8Array()))),
      ).toString();
      envelopes.push(
        ...text
          .trim()
          .split("\n")
          .map((line) => JSON.parse(line) as DeadLetterEnvelope),
      );
    }
    return envelopes;
  }

  async indexedDeadLetters() {
    const index = DEAD_LETTER_TABLE.byTopicIndex;
    const { Items = [] } = await this.dynamodb.send(
      new QueryCommand({
        TableName: loadConfig().tables.deadLetters,
        IndexName: index.name,
        KeyConditionExpression: "#pk = :topic",
        ExpressionAttributeNames: { "#pk": index.partitionKey },
        ExpressionAttributeValues: { ":topic": { S: this.topics.source } },
      }),
    );
    return Items.map(parseDeadLetterItem);
  }

  /** What the `dlq redrive` tool does to an index item once the record is replayed. */
  async markRedriven(id: string): Promise<void> {
    const status = DEAD_LETTER_TABLE.byStatusIndex.partitionKey;
    await this.dynamodb.send(
      new UpdateItemCommand({
        TableName: loadConfig().tables.deadLetters,
        Key: deadLetterKey(id),
        UpdateExpression: "SET #status = :redriven, #gsi = :redriven, redriveCount = :one",
        ExpressionAttributeNames: { "#status": "status", "#gsi": status },
        ExpressionAttributeValues: { ":redriven": { S: "redriven" }, ":one": { N: "1" } },
      }),
    );
  }

  async close(): Promise<void> {
    await this.admin.deleteTopics({ topics: Object.values(this.topics) }).catch(() => undefined);
    await this.admin.disconnect();
    await this.bundled.parts.sink.disconnect();
    this.s3.destroy();
    this.dynamodb.destroy();
  }
}
