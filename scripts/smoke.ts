/**
 * `npm start` (after `stack:up`): one round trip through each local service with the clients the
 * functions use, so a broken stack shows up here rather than as a confusing pipeline failure.
 * Exits 0 when all three work, 1 with the failing service named otherwise.
 */
import { randomUUID } from "node:crypto";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Kafka } from "kafkajs";
import { loadConfig } from "../functions/lib/config";
import { localDynamoDbClientConfig, localKafkaConfig, localS3ClientConfig } from "../stack/clients";
import { ensureBucket, ensureTopics } from "../stack/provision";
import { localTopology, topicSpec } from "../stack/topology";
import { silenceKafkajsTimeoutWarning } from "../stack/warnings";

const SMOKE_TOPIC = "stack.smoke";
const TIMEOUT_MS = 30_000;

const config = loadConfig();
const marker = randomUUID();

async function kafkaRoundTrip(): Promise<string> {
  const kafka = new Kafka(localKafkaConfig({ clientId: "smoke" }, config));
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const consumer = kafka.consumer({ groupId: `smoke-${marker}`, maxWaitTimeInMs: 200 });
  try {
    await admin.connect();
    await ensureTopics(admin, [topicSpec(SMOKE_TOPIC, { numPartitions: 1 })]);
    await producer.connect();
    const [ack] = await producer.send({
      topic: SMOKE_TOPIC,
      acks: -1,
      messages: [{ key: marker, value: JSON.stringify({ smoke: marker }) }],
    });
    if (ack === undefined) throw new Error("the broker acknowledged nothing");
    await consumer.connect();
    await consumer.subscribe({ topic: SMOKE_TOPIC });
    const received = new Promise<string>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          if (message.key?.toString() === marker) resolve(message.value?.toString() ?? "");
        },
      });
    });
    // Read from the produced offset only, not the topic's history.
    consumer.seek({ topic: SMOKE_TOPIC, partition: ack.partition, offset: ack.baseOffset ?? "0" });
    const value = await withTimeout(received, `the record produced to ${SMOKE_TOPIC} never arrived`);
    if (JSON.parse(value).smoke !== marker) throw new Error(`consumed ${value}, expected our marker`);
    return `${SMOKE_TOPIC}[${ack.partition}]@${ack.baseOffset} produced and consumed`;
  } finally {
    await Promise.allSettled([consumer.disconnect(), producer.disconnect(), admin.disconnect()]);
  }
}

async function s3RoundTrip(): Promise<string> {
  const s3 = new S3Client(localS3ClientConfig(config));
  try {
    const bucket = config.archive.bucket;
    await ensureBucket(s3, bucket);
    const key = `smoke/${marker}.json`;
    const body = JSON.stringify({ smoke: marker });
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: "application/json" }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const text = await got.Body?.transformToString();
    if (text !== body) throw new Error(`read back ${text}, wrote ${body}`);
    return `s3://${bucket}/${key} written and read back`;
  } finally {
    s3.destroy();
  }
}

async function dynamoDbTables(): Promise<string> {
  const dynamodb = new DynamoDBClient(localDynamoDbClientConfig(config));
  try {
    const { TableNames = [] } = await dynamodb.send(new ListTablesCommand({}));
    const expected = localTopology(config).tables.map((t) => t.definition.TableName ?? "");
    const missing = expected.filter((name) => !TableNames.includes(name));
    if (missing.length > 0) throw new Error(`tables ${missing.join(", ")} are missing; run npm run stack:up`);
    return `tables: ${TableNames.join(", ")}`;
  } finally {
    dynamodb.destroy();
  }
}

function withTimeout<T>(promise: Promise<T>, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function main(): Promise<number> {
  silenceKafkajsTimeoutWarning();
  const checks = [
    ["kafka", `Kafka at ${config.kafka.brokers.join(",")}`, kafkaRoundTrip],
    ["s3", `S3 at ${config.aws.s3Endpoint}`, s3RoundTrip],
    ["dynamodb", `DynamoDB at ${config.aws.dynamodbEndpoint}`, dynamoDbTables],
  ] as const;
  const results = await Promise.allSettled(
    checks.map(async ([, , check]) => {
      const began = Date.now();
      const detail = await withTimeout(check(), "no answer");
      return `${detail} (${Date.now() - began} ms)`;
    }),
  );
  let failed = 0;
  for (const [i, result] of results.entries()) {
    const [name, where] = checks[i] ?? ["?", "?"];
    if (result.status === "fulfilled") {
      console.log(`ok   ${name.padEnd(8)} ${result.value}`);
    } else {
      failed += 1;
      const reason = result.reason instanceof Error ? result.reason.message : String(result.reason);
      console.error(`FAIL ${name.padEnd(8)} ${where}: ${reason}`);
    }
  }
  console.log(
    failed === 0
      ? "smoke test passed: the local stack works"
      : `smoke test failed: ${failed} of ${checks.length} services; see npm run stack:status and .stack/logs/`,
  );
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
