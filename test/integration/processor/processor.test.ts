import type { IHeaders } from "kafkajs";
import { afterEach, describe, expect, it } from "vitest";
import { KAFKA_PRODUCERS } from "../../../functions/lib/config";
import { DEAD_LETTER_HEADERS, LINEAGE_HEADERS } from "../../../functions/lib/core/headers";
import type { KafkaEvent } from "../../../functions/lib/core/types";
import { type PipelineHarness, producerHarness } from "./pipelineHarness";
import {
  BAD_PER_PARTITION,
  BINARY_HEADER,
  GOOD_PER_PARTITION,
  NON_UTF8,
  SAMPLE,
  WIDE_NAME,
} from "./sampleRecords";

const header = (headers: IHeaders | undefined, name: string) => headers?.[name]?.toString();

describe.each(KAFKA_PRODUCERS)(
  "the processor against the real local stack (KAFKA_PRODUCER=%s)",
  (producer) => {
    const create = producerHarness(producer);
    let harness: PipelineHarness | undefined;
    afterEach(async () => {
      await harness?.close();
      harness = undefined;
    });

    it("writes good records to the target topic and bad ones, byte for byte, to the DLQ topic, S3 and the index", async () => {
      harness = await create("mixed");
      await harness.createTopics();
      await harness.produceSource(SAMPLE);
      const event = await harness.eventFor(SAMPLE.length);

      const response = await harness.invoke(event);

      expect(response).toEqual({ batchItemFailures: [] });
      const target = await harness.read("target", 3 * GOOD_PER_PARTITION);
      expect(target).toHaveLength(9);
      const good = target.find((r) => r.message.key?.toString() === "good-1");
      expect(JSON.parse(good?.message.value?.toString() ?? "")).toEqual({
        "Employee-Number": "EMP-1",
        name: "E1",
        age: 31,
      });
      expect(good?.message.headers?.trace).toEqual(BINARY_HEADER);
      expect(header(good?.message.headers, LINEAGE_HEADERS.sourceTopic)).toBe(harness.topics.source);
      expect(target.find((r) => r.message.key?.toString() === "tomb-2")?.message.value).toBeNull();
      // Byte for byte the UTF-8 of the JSON, outside ASCII too.
      const wide = target.find((r) => r.message.key?.toString() === "late-1");
      expect(wide?.message.value).toEqual(
        Buffer.from(JSON.stringify({ "Employee-Number": "EMP-201", name: WIDE_NAME, age: 41 }), "utf8"),
      );
      expect(header(wide?.message.headers, LINEAGE_HEADERS.sourceOffset)).toBe("5");

      const dlq = await harness.read("dlq", 3 * BAD_PER_PARTITION);
      for (const sent of SAMPLE.filter((m) => /^(json|age|utf8)-/.test(m.key))) {
        const dead = dlq.find((r) => r.message.key?.toString() === sent.key);
        expect(dead?.message.value).toEqual(sent.value);
        expect(dead?.partition).toBe(sent.partition);
        expect(header(dead?.message.headers, DEAD_LETTER_HEADERS.originalPartition)).toBe(
          String(sent.partition),
        );
        if (sent.headers) expect(dead?.message.headers?.trace).toEqual(BINARY_HEADER);
      }
      const nonUtf8 = dlq.find((r) => r.message.key?.toString() === "utf8-0");
      expect(header(nonUtf8?.message.headers, DEAD_LETTER_HEADERS.stage)).toBe("decode");
      expect(header(nonUtf8?.message.headers, DEAD_LETTER_HEADERS.errorMessage)).toBe(
        "value is not valid UTF-8",
      );

      const envelopes = await harness.archivedEnvelopes();
      expect(envelopes).toHaveLength(9);
      const archived = envelopes.find(
        (e) => Buffer.from(e.record.key ?? "", "base64").toString() === "utf8-1",
      );
      expect(Buffer.from(archived?.record.value ?? "", "base64")).toEqual(NON_UTF8);
      expect(archived?.error).toMatchObject({ stage: "decode", class: "DecodeError" });

      const indexed = await harness.indexedDeadLetters();
      expect(indexed.map((d) => d.id).sort()).toEqual(envelopes.map((e) => e.id).sort());
      expect(indexed.every((d) => d.status === "new" && d.dlqOffset !== undefined)).toBe(true);
    });

    it("writes the same records gzip-compressed when KAFKA_COMPRESSION=gzip", async () => {
      harness = await create("gzip", { KAFKA_COMPRESSION: "gzip" });
      await harness.createTopics();
      await harness.produceSource(SAMPLE);
      const event = await harness.eventFor(SAMPLE.length);

      expect(await harness.invoke(event)).toEqual({ batchItemFailures: [] });
      const target = await harness.read("target", 3 * GOOD_PER_PARTITION);
      expect(target.map((r) => r.message.key?.toString()).sort()).toEqual(
        SAMPLE.filter((m) => /^(good|tomb|late)-/.test(m.key))
          .map((m) => m.key)
          .sort(),
      );
      const good = target.find((r) => r.message.key?.toString() === "good-2");
      expect(JSON.parse(good?.message.value?.toString() ?? "")).toMatchObject({ "Employee-Number": "EMP-2" });
      expect(good?.message.headers?.trace).toEqual(BINARY_HEADER);
      const dlq = await harness.read("dlq", 3 * BAD_PER_PARTITION);
      expect(dlq.find((r) => r.message.key?.toString() === "utf8-0")?.message.value).toEqual(NON_UTF8);
    });

    it("keeps a dead letter's redrive status when Lambda redelivers its record, writing no second DLQ copy", async () => {
      harness = await create("redelivered-dead-letter");
      await harness.createTopics();
      await harness.produceSource(SAMPLE.slice(0, 3));
      const event = await harness.eventFor(3);
      expect(await harness.invoke(event)).toEqual({ batchItemFailures: [] });
      const [first] = await harness.indexedDeadLetters();
      await harness.markRedriven(first?.id ?? "");
      const dlqCopies = async () =>
        (await harness?.admin.fetchTopicOffsets(harness.topics.dlq))?.reduce((n, p) => n + Number(p.high), 0);
      expect(await dlqCopies()).toBe(2);

      expect(await harness.invoke(event)).toEqual({ batchItemFailures: [] });

      const again = (await harness.indexedDeadLetters()).find((d) => d.id === first?.id);
      expect(again).toMatchObject({ status: "redriven", redriveCount: 1 });
      // The index vouched for both dead letters: their first copies stand, none is written twice.
      expect(await dlqCopies()).toBe(2);
      expect(await harness.archivedEnvelopes()).toHaveLength(2);
    });

    it("reports records for retry while the target topic is missing, and loses none once it exists", async () => {
      harness = await create("missing-target", { THROW_ON_FULL_BATCH_FAILURE: "false" });
      await harness.createTopics(["source", "dlq"]);
      await harness.produceSource(SAMPLE);
      const event = await harness.eventFor(SAMPLE.length);

      const first = await harness.invoke(event, { remainingMs: 6_000 });

      // Each partition starts with a good record, so each is reported from its first offset (and by
      // default, with nothing done at all, the invocation throws so the mapping's retry limits apply).
      expect(first.batchItemFailures).toHaveLength(3);
      const resumeAt = new Map(
        first.batchItemFailures.map((f) => [f.itemIdentifier.partition, Number(f.itemIdentifier.offset)]),
      );
      for (const [id, records] of Object.entries(event.records))
        expect(resumeAt.get(id)).toBe(records[0]?.offset);

      await harness.createTopics(["target"]);
      const redelivered = redeliver(event, resumeAt);
      const second = await harness.invoke(redelivered);

      expect(second).toEqual({ batchItemFailures: [] });
      expect(await harness.read("target", 9)).toHaveLength(9);
      const deadLetters = await harness.archivedEnvelopes();
      expect(new Set(deadLetters.map((e) => e.id)).size).toBe(9);
    });

    it("reports dead letters for retry while S3 is unreachable, and acknowledges nothing it could not archive", async () => {
      harness = await create("s3-down", { S3_ENDPOINT: "http://127.0.0.1:1" });
      await harness.createTopics();
      await harness.produceSource(SAMPLE);
      const event = await harness.eventFor(SAMPLE.length);

      const response = await harness.invoke(event, { remainingMs: 5_000 });

      // Ordered: each partition stops at its first dead letter (second record), the good one before it is done.
      const expected = Object.entries(event.records).map(([id, records]) => ({
        partition: id,
        offset: records[1]?.offset,
      }));
      expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort(byPartition)).toEqual(
        expected.sort(byPartition),
      );
      const target = await harness.read("target", 3);
      expect(target.map((r) => r.message.key?.toString()).sort()).toEqual(["good-0", "good-1", "good-2"]);
    });
  },
);

function redeliver(
  event: KafkaEvent,
  resumeAt: ReadonlyMap<string | number | undefined, number>,
): KafkaEvent {
  const records = Object.fromEntries(
    Object.entries(event.records).map(([id, list]) => [
      id,
      list.filter((r) => r.offset >= (resumeAt.get(id) ?? Infinity)),
    ]),
  );
  return { ...event, records };
}

function byPartition(a: { partition?: unknown }, b: { partition?: unknown }): number {
  return String(a.partition).localeCompare(String(b.partition));
}
