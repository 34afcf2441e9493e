import { type Admin, Kafka } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { loadConfig } from "../../../functions/lib/config";
import { TransientError } from "../../../functions/lib/core/errors";
import { REDRIVE_HEADERS } from "../../../functions/lib/core/headers";
import { definePipeline } from "../../../functions/lib/core/pipeline";
import { silentLogger } from "../../../functions/lib/core/ports";
import { createProcessor } from "../../../functions/lib/lambda/createProcessor";
import { createRedriveTools } from "../../../functions/lib/redrive/createRedriveTools";
import { RedriveFailedError } from "../../../functions/lib/redrive/errors";
import { parseRedriveInput } from "../../../functions/lib/redrive/redriveRequest";
import { localKafkaConfig } from "../../../stack/clients";
import { runDlq } from "../../../tools/dlq/runDlq";
import { buildEvent, lambdaContext } from "../../fixtures";
import { consumeRecords } from "../../support/kafka";
import { uniqueName } from "../../support/names";
import { recordingIo } from "../../unit/redrive/fixtures";
import { headerOf, pipelineTopics } from "./support";

const COUNT = 12;
const BATCH = 4;

/**
 * A redrive that dies between producing a batch and marking it: the resumed run replays everything
 * not yet marked, so every dead letter reaches the topic and only the batch in flight twice.
 */
describe("dlq redrive interrupted mid-way", () => {
  const kafka = new Kafka(localKafkaConfig({ clientId: "it-dlq-resume" }));
  const config = loadConfig();
  let admin: Admin;
  let topics: Awaited<ReturnType<typeof pipelineTopics>>;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    topics = await pipelineTopics(admin, "resume");
    const rejectAll = definePipeline({
      sourceTopic: topics.source,
      targetTopic: topics.target,
      dlqTopic: topics.dlq,
      schema: z.object({ never: z.literal(true) }),
      transform: (v) => v,
    });
    const { processor, sink } = createProcessor(config, [rejectAll], silentLogger);
    const event = buildEvent(
      Array.from({ length: COUNT }, (_, i) => ({
        topic: topics.source,
        partition: i % 3,
        offset: 100 + i,
        value: { i },
      })),
    );
    const { stats } = await processor.process(event, lambdaContext());
    await sink.disconnect();
    expect(stats.deadLettered).toBe(COUNT);
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect();
  });

  it("resumes without duplicates beyond the batch in flight, and reports what it did", async () => {
    let sends = 0;
    const crashing = createRedriveTools(config, silentLogger, {
      wrapSink: (sink) => ({
        send: async (topic, messages) => {
          const receipts = await sink.send(topic, messages);
          sends += 1;
          if (sends === 2) throw new TransientError("the process died after the broker acknowledged");
          return receipts;
        },
      }),
    });
    const runId = uniqueName("run").replace(/[^A-Za-z0-9._-]/g, "-");
    const invocation = parseRedriveInput(
      { topic: topics.source, batchSize: String(BATCH), runId },
      { now: new Date() },
    );
    if (invocation.kind !== "start") throw new Error("expected a new run");

    const crash = await crashing.redriver
      .start(invocation.request, {}, invocation.runId)
      .catch((e: unknown) => e);
    await crashing.close();

    expect(crash).toBeInstanceOf(RedriveFailedError);
    expect((crash as RedriveFailedError).summary.total.replayed).toBe(BATCH);
    expect(await crashing.runs.load(runId)).toMatchObject({ state: "failed", counts: { replayed: BATCH } });

    const { io, err } = recordingIo(process.env);
    const code = await runDlq(["redrive", "--resume", runId], io);

    expect(code).toBe(0);
    expect(err.join("\n")).toContain(
      `resuming redrive ${runId}: ${COUNT - BATCH} dead letters selected; earlier attempts replayed ${BATCH}`,
    );
    expect(err.join("\n")).toContain(
      `replayed ${COUNT - BATCH}, refused 0, skipped 0, failed 0 (of ${COUNT - BATCH} selected)`,
    );
    expect(err.join("\n")).toContain(
      `run total over all its attempts: replayed ${COUNT}, refused 0, skipped 0, failed 0`,
    );
    expect(err.join("\n")).toContain(`run ${runId} completed`);

    const replayed = await consumeRecords(kafka, {
      topic: topics.source,
      groupId: uniqueName("it.dlq.resume"),
      count: COUNT + BATCH,
    });
    const ids = replayed.map((r) => headerOf(r, REDRIVE_HEADERS.deadLetterId));
    const perId = new Map<string, number>();
    for (const id of ids) perId.set(id ?? "", (perId.get(id ?? "") ?? 0) + 1);
    expect(perId.size).toBe(COUNT);
    expect([...perId.values()].filter((n) => n === 2)).toHaveLength(BATCH);
    expect([...perId.values()].every((n) => n <= 2)).toBe(true);

    const { io: listIo, out } = recordingIo(process.env);
    await runDlq(["list", "--topic", topics.source, "--status", "new", "--json"], listIo);
    expect(out).toEqual([]);
  });
});
