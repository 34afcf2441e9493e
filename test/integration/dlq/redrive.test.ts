import { type Admin, Kafka, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { type Config, loadConfig } from "../../../functions/lib/config";
import { REDRIVE_HEADERS } from "../../../functions/lib/core/headers";
import type { KafkaBatchProcessor } from "../../../functions/lib/core/KafkaBatchProcessor";
import { definePipeline } from "../../../functions/lib/core/pipeline";
import { silentLogger } from "../../../functions/lib/core/ports";
import { createProcessor, type ProcessorParts } from "../../../functions/lib/lambda/createProcessor";
import { createRedriveTools, type RedriveTools } from "../../../functions/lib/redrive/createRedriveTools";
import { localKafkaConfig } from "../../../stack/clients";
import { runDlq } from "../../../tools/dlq/runDlq";
import { lambdaContext } from "../../fixtures";
import { consumeRecords } from "../../support/kafka";
import { uniqueName } from "../../support/names";
import { recordingIo } from "../../unit/redrive/fixtures";
import { byOffset, deadLetterIdOf, headerOf, lambdaEvent, pipelineTopics } from "./support";

/**
 * The round trip an operator makes: a record is dead-lettered for a schema violation, listed,
 * shown, redriven once too early (and dead-lettered again), refused by a tight loop guard, redriven
 * after the schema is fixed, reaches the target topic, and is marked redriven.
 */
describe("dlq against the local stack: schema violation, fix, redrive", () => {
  const kafka = new Kafka(localKafkaConfig({ clientId: "it-dlq" }));
  const config: Config = loadConfig();
  let admin: Admin;
  let producer: Producer;
  let topics: Awaited<ReturnType<typeof pipelineTopics>>;
  let strict: ProcessorParts;
  let fixed: ProcessorParts;
  let tools: RedriveTools;

  const employee = (coerce: boolean) =>
    z.object({
      name: z.string().min(1),
      age: coerce ? z.coerce.number().int().positive() : z.number().int().positive(),
    });

  beforeAll(async () => {
    admin = kafka.admin();
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await Promise.all([admin.connect(), producer.connect()]);
    topics = await pipelineTopics(admin, "employees");
    const pipeline = (coerce: boolean) =>
      definePipeline({
        sourceTopic: topics.source,
        targetTopic: topics.target,
        dlqTopic: topics.dlq,
        schema: employee(coerce),
        transform: (e) => ({ ...e, checked: true }),
      });
    strict = createProcessor(config, [pipeline(false)], silentLogger);
    fixed = createProcessor(config, [pipeline(true)], silentLogger);
    tools = createRedriveTools(config, silentLogger);
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await Promise.all([
      admin.disconnect(),
      producer.disconnect(),
      strict.sink.disconnect(),
      fixed.sink.disconnect(),
    ]);
    await tools.close();
  });

  /** Reads the source topic's newest record and runs it through a processor, as Lambda would. */
  async function processNewest(processor: KafkaBatchProcessor, expectedCount: number) {
    const records = byOffset(
      await consumeRecords(kafka, {
        topic: topics.source,
        groupId: uniqueName("it.dlq.read"),
        count: expectedCount,
      }),
    );
    const newest = records[records.length - 1];
    if (newest === undefined) throw new Error("nothing to process");
    const { outcomes } = await processor.process(lambdaEvent([newest]), lambdaContext());
    return { newest, outcome: outcomes[0] };
  }

  async function dlq(...argv: string[]) {
    const { io, out, err } = recordingIo(process.env);
    const code = await runDlq(argv, io);
    return { code, out: out.join("\n"), err: err.join("\n") };
  }

  it("lists, shows, refuses and redrives a dead letter until the fixed pipeline takes it", async () => {
    await producer.send({
      topic: topics.source,
      acks: -1,
      messages: [{ key: "emp-7", value: '{"name":"Ada","age":"42"}', headers: { traceId: "t-1" } }],
    });
    const first = await processNewest(strict.processor, 1);
    expect(first.outcome).toMatchObject({ kind: "dead-lettered", stage: "validate" });
    const firstId = await deadLetterIdOf(tools.catalog, first.newest);

    const listed = await dlq("list", "--topic", topics.source);
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(
      new RegExp(
        `${firstId.replace(/\./g, "\\.")}\\s+\\S+ \\S+\\s+validate\\s+new\\s+0\\s+SchemaViolationError: age`,
      ),
    );

    const shown = await dlq("show", firstId);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain(`Dead letter ${firstId}`);
    expect(shown.out).toContain(
      "Error       SchemaViolationError: age: Invalid input: expected number, received string",
    );
    expect(shown.out).toContain('Value (json, 25 bytes)\n  {\n    "name": "Ada",\n    "age": "42"\n  }');
    expect(shown.out).toContain("Key (text, 5 bytes)\n  emp-7");
    expect(shown.out).toContain("traceId: t-1");

    const stats = await dlq("stats", "--topic", topics.source);
    expect(stats.out).toContain("1 dead letter\n");

    // Redriven before the fix: the record fails again and comes back with its redrive count.
    const early = await dlq("redrive", "--topic", topics.source);
    expect(early.code).toBe(0);
    expect(early.err).toContain("replayed 1, refused 0, skipped 0, failed 0 (of 1 selected)");
    const second = await processNewest(strict.processor, 2);
    expect(headerOf(second.newest, REDRIVE_HEADERS.count)).toBe("1");
    expect(headerOf(second.newest, REDRIVE_HEADERS.deadLetterId)).toBe(firstId);
    expect(second.newest.partition).toBe(first.newest.partition);
    expect(second.outcome).toMatchObject({ kind: "dead-lettered" });
    const secondId = await deadLetterIdOf(tools.catalog, second.newest);
    expect(await tools.catalog.get(secondId)).toMatchObject({ status: "new", redriveCount: 1 });
    expect(await tools.catalog.get(firstId)).toMatchObject({ status: "redriven", redriveCount: 1 });

    // The loop guard: with a limit of one redrive, the twice-failed record is refused.
    const refused = await dlq("redrive", "--topic", topics.source, "--max-redrives", "1");
    expect(refused.code).toBe(0);
    expect(refused.err).toContain(`refused      ${secondId}: redriven 1 time already (limit 1)`);
    expect(refused.err).toContain("replayed 0, refused 1");

    // After the fix the default limit lets it through; it reaches the target topic.
    const redriven = await dlq("redrive", "--topic", topics.source);
    expect(redriven.err).toContain("replayed 1, refused 0, skipped 0, failed 0 (of 1 selected)");
    const third = await processNewest(fixed.processor, 3);
    expect(third.outcome).toMatchObject({ kind: "produced", targetTopic: topics.target });
    const [output] = await consumeRecords(kafka, {
      topic: topics.target,
      groupId: uniqueName("it.dlq.target"),
      count: 1,
    });
    expect(JSON.parse(output?.message.value?.toString() ?? "")).toEqual({
      name: "Ada",
      age: 42,
      checked: true,
    });
    expect(output?.message.key?.toString()).toBe("emp-7");
    expect(headerOf(output as never, REDRIVE_HEADERS.count)).toBe("2");
    expect(await tools.catalog.get(secondId)).toMatchObject({
      status: "redriven",
      redriveCount: 2,
      redrive: {
        topic: topics.source,
        partition: third.newest.partition,
        offset: Number(third.newest.message.offset),
      },
    });

    // Nothing is left to redrive; naming the id again is skipped, not replayed.
    const again = await dlq("redrive", "--topic", topics.source);
    expect(again.err).toContain("replayed 0, refused 0, skipped 0, failed 0 (of 0 selected)");
    const byId = await dlq("redrive", secondId);
    expect(byId.err).toContain(`skipped      ${secondId}: already redriven`);
    const shownAfter = await dlq("show", secondId);
    expect(shownAfter.out).toMatch(/Status {6}redriven, redriven 2 times before/);
    expect(shownAfter.out).toContain(`Redriven    `);
    const all = await dlq("list", "--topic", topics.source, "--status", "redriven", "--json");
    expect(all.out.split("\n").map((l) => JSON.parse(l).id)).toEqual([secondId, firstId]);
  });
});
