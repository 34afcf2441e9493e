import { DeleteObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { type Admin, Kafka } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { loadConfig } from "../../../functions/lib/config";
import { TransientError } from "../../../functions/lib/core/errors";
import { REDRIVE_HEADERS } from "../../../functions/lib/core/headers";
import { definePipeline } from "../../../functions/lib/core/pipeline";
import { silentLogger } from "../../../functions/lib/core/ports";
import { OUTCOMES } from "../../../functions/lib/core/types";
import { createProcessor, s3ClientConfig } from "../../../functions/lib/lambda/createProcessor";
import { localKafkaConfig } from "../../../stack/clients";
import { runDlq } from "../../../tools/dlq/runDlq";
import { buildEvent, lambdaContext } from "../../fixtures";
import { consumeRecords } from "../../support/kafka";
import { uniqueName } from "../../support/names";
import { recordingIo } from "../../unit/redrive/fixtures";
import { headerOf, pipelineTopics } from "./support";

/**
 * Archive objects the redrive cannot read, made on the real S3 server: one deleted (NoSuchKey), one
 * overwritten with bytes that are not gzip JSON Lines. Their letters fail with a reason, the run
 * goes on, and a resume of a crashed run gets past them to the letters behind.
 */
describe("dlq redrive over unreadable archive objects", () => {
  const kafka = new Kafka(localKafkaConfig({ clientId: "it-dlq-unreadable" }));
  const config = loadConfig();
  const s3 = new S3Client(s3ClientConfig(config));
  let admin: Admin;
  let topics: Awaited<ReturnType<typeof pipelineTopics>>;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    topics = await pipelineTopics(admin, "unreadable");
    const rejectAll = definePipeline({
      sourceTopic: topics.source,
      targetTopic: topics.target,
      dlqTopic: topics.dlq,
      schema: z.object({ never: z.literal(true) }),
      transform: (v) => v,
    });
    const { processor, sink } = createProcessor(config, [rejectAll], silentLogger);
    // Two letters per partition: each partition's letters share one archive object.
    const { outcomes } = await processor.process(
      buildEvent(
        [0, 1, 2].flatMap((partition) =>
          [10, 11].map((offset) => ({ topic: topics.source, partition, offset, value: { offset } })),
        ),
      ),
      lambdaContext(),
    );
    await sink.disconnect();
    const keyOf = (partition: number) => {
      const outcome = outcomes.find((o) => o.record.partition === partition);
      if (outcome?.kind !== OUTCOMES.deadLettered)
        throw new Error(`partition ${partition} not dead-lettered`);
      return outcome.archiveKey;
    };
    const bucket = config.archive.bucket;
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: keyOf(0) }));
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: keyOf(1), Body: Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3]) }),
    );
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect();
    s3.destroy();
  });

  async function dlq(argv: string[], options: Parameters<typeof runDlq>[2] = {}) {
    const { io, out, err } = recordingIo(process.env);
    const code = await runDlq(argv, io, options);
    return { code, out: out.join("\n"), err: err.join("\n") };
  }

  it("fails only the unreadable letters, names them, and a resume replays the letters behind them", async () => {
    const runId = uniqueName("run").replace(/[^A-Za-z0-9._-]/g, "-");
    // The process dies right after the broker acknowledged the first batch that reached it.
    let sends = 0;
    const crashed = await dlq(["redrive", "--topic", topics.source, "--batch-size", "2", "--run-id", runId], {
      wrapSink: (sink) => ({
        send: async (topic, messages) => {
          const receipts = await sink.send(topic, messages);
          sends += 1;
          if (sends === 1) throw new TransientError("the process died after the broker acknowledged");
          return receipts;
        },
      }),
    });
    expect(crashed.code).toBe(1);
    expect(crashed.err).toContain(`resume with: npm run dlq -- redrive --resume ${runId}`);

    const resumed = await dlq(["redrive", "--resume", runId]);

    expect(resumed.code).toBe(1);
    expect(resumed.err).toContain("replayed 2, refused 0, skipped 0, failed 4 (of 6 selected)");
    expect(resumed.err).toContain(`run ${runId} completed`);
    const failedLines = resumed.err.split("\n").filter((l) => l.startsWith("  failed "));
    expect(failedLines).toHaveLength(4);
    const deleted = failedLines.filter((l) => l.includes(`${topics.source}:0:`));
    const corrupt = failedLines.filter((l) => l.includes(`${topics.source}:1:`));
    expect(deleted).toHaveLength(2);
    expect(deleted[0]).toMatch(/not found in s3:\/\/.* \(expired or deleted\?\)/);
    expect(corrupt).toHaveLength(2);
    expect(corrupt[0]).toMatch(/is not a readable archive \(gzip JSON Lines\)/);

    const replayed = await consumeRecords(kafka, {
      topic: topics.source,
      groupId: uniqueName("it.dlq.unreadable"),
      count: 4,
    });
    const ids = replayed.map((r) => headerOf(r, REDRIVE_HEADERS.deadLetterId) ?? "");
    // Partition 2's letters: once by the crashed attempt, once by the resume.
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(2);
    expect(ids.every((id) => id.startsWith(`${topics.source}:2:`))).toBe(true);

    const stillNew = await dlq(["list", "--topic", topics.source, "--status", "new", "--json"]);
    const newIds = stillNew.out.split("\n").map((l) => JSON.parse(l).id as string);
    expect(newIds).toHaveLength(4);
    expect(newIds.every((id) => !id.startsWith(`${topics.source}:2:`))).toBe(true);

    // Its index item can still be shown, with why the envelope cannot be.
    const corruptId = newIds.find((id) => id.startsWith(`${topics.source}:1:`)) ?? "";
    const shown = await dlq(["show", corruptId]);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain(`Dead letter ${corruptId}`);
    expect(shown.out).toMatch(/The archived envelope cannot be read: s3:\/\/.* is not a readable archive/);
  });
});
