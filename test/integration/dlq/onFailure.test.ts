import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { type Admin, Kafka } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../functions/lib/config";
import { REDRIVE_HEADERS } from "../../../functions/lib/core/headers";
import { clusterIdentity, recordId } from "../../../functions/lib/core/recordIdentity";
import { localKafkaConfig, localS3ClientConfig } from "../../../stack/clients";
import { runDlq } from "../../../tools/dlq/runDlq";
import { buildEvent } from "../../fixtures";
import { consumeRecords } from "../../support/kafka";
import { uniqueName } from "../../support/names";
import { onFailureDocument, recordingIo } from "../../unit/redrive/fixtures";
import { byOffset, headerOf, pipelineTopics } from "./support";

/** What the mapping itself gave up on, replayed from its S3 on-failure destination. */
describe("dlq redrive --from-on-failure", () => {
  const kafka = new Kafka(localKafkaConfig({ clientId: "it-dlq-on-failure" }));
  const config = loadConfig();
  const s3 = new S3Client(localS3ClientConfig(config));
  const prefix = `on-failure/${uniqueName("it-dlq")}/`;
  let admin: Admin;
  let topics: Awaited<ReturnType<typeof pipelineTopics>>;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    topics = await pipelineTopics(admin, "on-failure");
    const event = buildEvent([
      {
        topic: topics.source,
        partition: 1,
        offset: 10,
        value: { id: 1 },
        key: Buffer.from("k-1").toString("base64"),
      },
      { topic: topics.source, partition: 1, offset: 11, value: Buffer.from([0xff, 0x00]) },
      { topic: topics.source, partition: 2, offset: 3, value: { id: 3 } },
    ]);
    // The third record already went round three times: the loop guard must refuse it.
    const looping = event.records[`${topics.source}-2`]?.[0] as unknown as { headers: unknown[] };
    looping.headers = [{ [REDRIVE_HEADERS.count]: [...Buffer.from("3")] }];
    await s3.send(
      new PutObjectCommand({
        Bucket: config.archive.bucket,
        Key: `${prefix}2026/11/22/2026-11-22T10.00.00-0c7e0b4e`,
        Body: onFailureDocument(event, "RetryAttemptsExhausted", new Date(Date.now() - 60_000).toISOString()),
      }),
    );
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect();
    s3.destroy();
  });

  /** The processor's id of a record of the document: its cluster from KafkaBatchInfo, buildEvent's timestamp. */
  const idAt = (partition: number, offset: number) =>
    recordId(clusterIdentity("arn:aws:kafka:...", "b-1:9098"), {
      topic: topics.source,
      partition,
      offset,
      timestamp: 1_763_800_000_000 + offset,
    });

  async function dlq(...argv: string[]) {
    const { io, err } = recordingIo(process.env);
    const code = await runDlq(argv, io);
    return { code, err: err.join("\n") };
  }

  it("replays the batch's records byte for byte, refuses the looping one, and skips what went on a rerun", async () => {
    const location = `s3://${config.archive.bucket}/${prefix}`;

    const first = await dlq("redrive", "--from-on-failure", location);
    const rerun = await dlq("redrive", "--from-on-failure", location);

    expect(first.code).toBe(0);
    expect(first.err).toContain("replayed 2, refused 1, skipped 0, failed 0 (of 3 selected)");
    expect(first.err).toContain(`refused      ${idAt(2, 3)}: redriven 3 times already (limit 3)`);
    expect(rerun.err).toContain("replayed 0, refused 1, skipped 2, failed 0 (of 3 selected)");
    const records = byOffset(
      await consumeRecords(kafka, { topic: topics.source, groupId: uniqueName("it.dlq.of"), count: 2 }),
    );
    expect(
      records.map((r) => [r.partition, r.message.key?.toString(), r.message.value?.toString("hex")]),
    ).toEqual([
      [1, "k-1", Buffer.from('{"id":1}').toString("hex")],
      [1, "k-11", "ff00"],
    ]);
    expect(records.map((r) => headerOf(r, REDRIVE_HEADERS.deadLetterId))).toEqual([idAt(1, 10), idAt(1, 11)]);
    expect(headerOf(records[0] as never, REDRIVE_HEADERS.count)).toBe("1");
  });
});
