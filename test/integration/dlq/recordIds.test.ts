import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { type Admin, Kafka } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDeadLetterIndex } from "../../../functions/lib/adapters/DynamoDeadLetterIndex";
import { S3DeadLetterArchive } from "../../../functions/lib/adapters/S3DeadLetterArchive";
import { loadConfig } from "../../../functions/lib/config";
import type { DeadLetterEnvelope } from "../../../functions/lib/core/deadLetter";
import { REDRIVE_HEADERS } from "../../../functions/lib/core/headers";
import { recordId } from "../../../functions/lib/core/recordIdentity";
import { dynamoClientConfig, s3ClientConfig } from "../../../functions/lib/lambda/createProcessor";
import { localKafkaConfig } from "../../../stack/clients";
import { runDlq } from "../../../tools/dlq/runDlq";
import { consumeRecords } from "../../support/kafka";
import { uniqueName } from "../../support/names";
import { recordingIo } from "../../unit/redrive/fixtures";
import { deadLetter } from "../../unit/redrive/memoryPorts";
import { headerOf, pipelineTopics } from "./support";

const MSK = "arn:aws:kafka:us-east-1:111122223333:cluster/orders/1";
const OTHER_MSK = "arn:aws:kafka:us-east-1:111122223333:cluster/orders-restored/2";

/**
 * Dead letters keyed by the tagged record id, on the real DynamoDB Local and S3 server: a record that
 * merely re-uses an older record's coordinates (re-created topic, other cluster) is a new dead letter,
 * a redelivery of the same record keeps what operators did with it, and letters recorded before ids
 * carried a tag stay readable, listable and redrivable.
 */
describe("dead letters at re-used coordinates", () => {
  const kafka = new Kafka(localKafkaConfig({ clientId: "it-dlq-ids" }));
  const config = loadConfig();
  const s3 = new S3Client(s3ClientConfig(config));
  const dynamodb = new DynamoDBClient(dynamoClientConfig(config));
  const archive = new S3DeadLetterArchive({ client: s3, bucket: config.archive.bucket });
  const index = new DynamoDeadLetterIndex({
    client: dynamodb,
    table: config.tables.deadLetters,
    archiveBucket: config.archive.bucket,
  });
  let admin: Admin;
  let topics: Awaited<ReturnType<typeof pipelineTopics>>;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    topics = await pipelineTopics(admin, "ids");
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect();
    s3.destroy();
    dynamodb.destroy();
  });

  /** Archives and indexes a dead letter the way the processor does, under the id it is given. */
  async function deadLettered(
    offset: number,
    options: { cluster?: string; timestamp: number; minute: number },
  ): Promise<DeadLetterEnvelope> {
    const { envelope } = deadLetter(topics.source, offset, options);
    const written = { ...envelope, archiveKey: `${envelope.archiveKey}.${options.minute}` };
    await archive.put(written.archiveKey, [written]);
    await index.record([{ envelope: written, archiveLine: 0, dlq: undefined, redriveCount: 0 }]);
    return written;
  }

  async function dlq(...argv: string[]) {
    const { io, out, err } = recordingIo(process.env);
    const code = await runDlq(argv, io);
    return { code, out: out.join("\n"), err: err.join("\n") };
  }

  const newIds = async () => {
    const listed = await dlq("list", "--topic", topics.source, "--status", "new", "--json");
    return listed.out === "" ? [] : listed.out.split("\n").map((l) => JSON.parse(l).id as string);
  };

  it("lists a record at redriven coordinates as new, redrives it by its id, keeps a redelivery's status", async () => {
    const first = await deadLettered(5, { cluster: MSK, timestamp: 1_000, minute: 1 });
    expect(first.id).toBe(recordId(MSK, { topic: topics.source, partition: 0, offset: 5, timestamp: 1_000 }));
    const redriven = await dlq("redrive", first.id);
    expect(redriven.code).toBe(0);
    expect(redriven.err).toContain("replayed 1, refused 0, skipped 0, failed 0 (of 1 selected)");

    // Lambda redelivers the same record: the letter stays redriven.
    await deadLettered(5, { cluster: MSK, timestamp: 1_000, minute: 1 });
    expect(await newIds()).toEqual([]);

    // The topic is re-created, and the record now at offset 5 fails; so does one on another cluster.
    const recreated = await deadLettered(5, { cluster: MSK, timestamp: 9_000, minute: 2 });
    const moved = await deadLettered(5, { cluster: OTHER_MSK, timestamp: 1_000, minute: 3 });
    expect(new Set([first.id, recreated.id, moved.id]).size).toBe(3);
    expect(await newIds()).toEqual([moved.id, recreated.id]);

    const shown = await dlq("show", recreated.id);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain(`Dead letter ${recreated.id}`);
    expect(shown.out).toContain(`Cluster     ${MSK}`);
    const ambiguous = await dlq("show", `${topics.source}:0:5`);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.err).toContain(`"${topics.source}:0:5" names 3 dead letters`);

    const again = await dlq("redrive", recreated.id, moved.id);
    expect(again.code).toBe(0);
    expect(again.err).toContain("replayed 2, refused 0, skipped 0, failed 0 (of 2 selected)");
    expect(await newIds()).toEqual([]);
    const replays = await consumeRecords(kafka, {
      topic: topics.source,
      groupId: uniqueName("it.dlq.ids"),
      count: 3,
    });
    expect(replays.map((r) => headerOf(r, REDRIVE_HEADERS.deadLetterId)).sort()).toEqual(
      [first.id, recreated.id, moved.id].sort(),
    );
  });

  it("keeps letters recorded before ids carried a tag readable, listable and redrivable", async () => {
    const old = await deadLettered(7, { timestamp: 2_000, minute: 10 });
    expect(old.id).toBe(`${topics.source}:0:7`);
    expect(await newIds()).toContain(old.id);

    const shown = await dlq("show", old.id);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain('Value (json, 7 bytes)\n  {\n    "n": 7\n  }');

    const redriven = await dlq("redrive", old.id);
    expect(redriven.err).toContain("replayed 1, refused 0, skipped 0, failed 0 (of 1 selected)");
    expect(await newIds()).not.toContain(old.id);
  });

  it("knows a redelivery after the upgrade of a record indexed before it, by its coordinates and timestamp", async () => {
    const old = await deadLettered(9, { timestamp: 3_000, minute: 20 });
    expect((await dlq("discard", old.id, "--reason", "known bad")).code).toBe(0);

    // The same record, delivered again to the upgraded processor, now carries a tagged id.
    const redelivered = await deadLettered(9, { cluster: MSK, timestamp: 3_000, minute: 21 });
    expect(redelivered.id).not.toBe(old.id);
    expect(await newIds()).not.toContain(redelivered.id);
    const shown = await dlq("show", old.id, "--json");
    expect(JSON.parse(shown.out)).toMatchObject({ id: old.id, status: "discarded" });

    // A different record at the same coordinates is not the old one.
    const other = await deadLettered(9, { cluster: MSK, timestamp: 4_000, minute: 22 });
    expect(await newIds()).toContain(other.id);
  });
});
