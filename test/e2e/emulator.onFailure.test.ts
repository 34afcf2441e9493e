import { GetObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readTopic } from "../../emulator/reconcile/readTopic";
import { BUCKET, EmulatorScenario } from "./emulatorScenario";

const POISON_KEY = "poison-employee";

describe.each(["s3", "kafka"] as const)(
  "a batch that always throws, with an %s on-failure destination",
  (kind) => {
    const scenario = new EmulatorScenario(`on-failure-${kind}`);

    beforeAll(async () => {
      await scenario.createTopics();
      await scenario.produce({ seed: 7, count: 60, badShare: 0.2 }, [
        {
          stream: "employees",
          kind: "good",
          key: POISON_KEY,
          value: Buffer.from('{"Employee-Number":9,"name":"Poison","age":40}'),
          expectedStage: undefined,
        },
      ]);
    });
    afterAll(() => scenario.cleanup());

    it("is retried, bisected down to the poison record, which alone reaches the destination", async () => {
      const target =
        kind === "s3" ? `s3://${BUCKET}/${scenario.onFailurePrefix}` : `kafka://${scenario.topics.onFailure}`;
      const emulator = scenario.emulator(await scenario.function({ poisonKey: POISON_KEY }), {
        batchSize: 16,
        retryAttempts: 6,
        bisectBatchOnError: true,
        onFailure: target,
      });

      const { stats, onFailureLocations } = await scenario.run(emulator);

      expect(stats.functionErrors).toBeGreaterThanOrEqual(7);
      expect(stats.bisections).toBeGreaterThanOrEqual(1);
      expect(stats).toMatchObject({
        onFailureRecords: 1,
        onFailureBatches: 1,
        droppedRecords: 0,
        outstanding: 0,
      });
      const result = await scenario.reconcile(kind);
      expect(result.missing).toEqual([]);
      expect(result.found["on-failure"]).toBe(1);
      expect(result.found.target + result.found["dead-letter"]).toBe(result.produced - 1);

      const location = onFailureLocations[0] ?? "";
      const document =
        kind === "s3"
          ? JSON.parse(
              (await (
                await scenario.s3.send(
                  new GetObjectCommand({ Bucket: BUCKET, Key: location.replace(`s3://${BUCKET}/`, "") }),
                )
              ).Body?.transformToString()) ?? "{}",
            )
          : JSON.parse(
              (await readTopic(scenario.kafka, scenario.topics.onFailure))[0]?.value?.toString() ?? "{}",
            );
      expect(document.requestContext).toMatchObject({
        condition: "RetryAttemptsExhausted",
        approximateInvokeCount: 7,
      });
      expect(document.responseContext).toMatchObject({ functionError: "Unhandled" });
      const payload = JSON.parse(document.payload);
      const [record] = Object.values(payload.records).flat() as { key: string }[];
      expect(Buffer.from(record?.key ?? "", "base64").toString()).toBe(POISON_KEY);
    });
  },
);
