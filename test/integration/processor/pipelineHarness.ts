import { gunzipSync } from "node:zlib";
import { QueryCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import type { Context } from "aws-lambda";
import { type Admin, Kafka, type Message } from "kafkajs";
import { buildInvocationEvent, toPolledRecord } from "../../../emulator/eventBuilder";
import { deadLetterKey, parseDeadLetterItem } from "../../../functions/lib/adapters/DynamoDeadLetterIndex";
import { loadConfig } from "../../../functions/lib/config";
import type { DeadLetterEnvelope } from "../../../functions/lib/core/deadLetter";
import { definePipeline } from "../../../functions/lib/core/pipeline";
import { silentLogger } from "../../../functions/lib/core/ports";
import type { KafkaEvent } from "../../../functions/lib/core/types";
import { createProcessor } from "../../../functions/lib/lambda/createProcessor";
import { withKafkaBatchProcessing } from "../../../functions/lib/lambda/withKafkaBatchProcessing";
import { DEAD_LETTER_TABLE } from "../../../functions/lib/tables";
import { employeeRecords } from "../../../functions/processor/pipelines";
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

/**
 * One employee pipeline on topics of its own, run through the real processor, producer, S3 and
 * DynamoDB adapters exactly as the Lambda wires them, with the event built the way the mapping does.
 */
export class PipelineHarness {
  readonly kafka = new Kafka(localKafkaConfig({ clientId: "it-processor" }));
  readonly admin: Admin = this.kafka.admin();
  readonly topics: PipelineTopics;
  readonly parts: ReturnType<typeof createProcessor>;

  constructor(name: string, env: Record<string, string> = {}) {
    const source = uniqueName("it.proc", name);
    this.topics = { source, target: `${source}.out`, dlq: `${source}.dlq` };
    const pipeline = definePipeline({
      sourceTopic: source,
      targetTopic: this.topics.target,
      ...employeeRecords,
    });
    const config = loadConfig({ ...process.env, DEADLINE_SAFETY_MS: "1000", ...env });
    this.parts = createProcessor(config, [pipeline], silentLogger);
  }

  async createTopics(which: readonly (keyof PipelineTopics)[] = ["source", "target", "dlq"]): Promise<void> {
    await this.admin.connect();
    await ensureTopics(
      this.admin,
      which.map((w) => topicSpec(this.topics[w])),
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

  invoke(event: KafkaEvent, options: { remainingMs?: number; throwOnFullBatchFailure?: boolean } = {}) {
    const handler = withKafkaBatchProcessing({
      processor: this.parts.processor,
      throwOnFullBatchFailure: options.throwOnFullBatchFailure ?? true,
    });
    const started = Date.now();
    const context = {
      functionName: "it-processor",
      functionVersion: "$LATEST",
      awsRequestId: uniqueName("req"),
      getRemainingTimeInMillis: () => (options.remainingMs ?? 30_000) - (Date.now() - started),
    } as unknown as Context;
    return handler(event, context);
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
    const { Contents = [] } = await this.parts.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `dead-letters/topic=${this.topics.source}/` }),
    );
    const envelopes: DeadLetterEnvelope[] = [];
    for (const object of Contents) {
      const { Body } = await this.parts.s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
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
    const { Items = [] } = await this.parts.dynamodb.send(
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
    await this.parts.dynamodb.send(
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
    await this.parts.sink.disconnect();
  }
}
