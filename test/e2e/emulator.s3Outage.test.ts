import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TcpOutageProxy } from "../../emulator/faults/TcpOutageProxy";
import { readTopic } from "../../emulator/reconcile/readTopic";
import { loadConfig } from "../../functions/lib/config";
import { LINEAGE_HEADERS } from "../../functions/lib/core/headers";
import { BUCKET, EmulatorScenario } from "./emulatorScenario";

const OUTAGE_MS = 6_000;

async function objectExists(scenario: EmulatorScenario, key: string): Promise<boolean> {
  return scenario.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })).then(
    () => true,
    () => false,
  );
}

/** Target records of one source partition that reached a target partition before an earlier one. */
async function outOfOrder(scenario: EmulatorScenario): Promise<string[]> {
  const highest = new Map<string, number>();
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const record of await readTopic(scenario.kafka, scenario.topics.target)) {
    const source = Number(record.headers[LINEAGE_HEADERS.sourcePartition]);
    const offset = Number(record.headers[LINEAGE_HEADERS.sourceOffset]);
    const lane = `${source}->${record.partition}`;
    const previous = highest.get(lane) ?? -1;
    // A repeat of an earlier record is allowed (at least once); a first appearance after a later one is not.
    if (!seen.has(`${lane}@${offset}`) && offset < previous)
      problems.push(`${lane}: ${offset} after ${previous}`);
    seen.add(`${lane}@${offset}`);
    highest.set(lane, Math.max(previous, offset));
  }
  return problems;
}

describe("S3 unreachable for a while", () => {
  const scenario = new EmulatorScenario("s3-outage");
  const s3 = new URL(loadConfig().aws.s3Endpoint ?? "http://127.0.0.1:9000");
  // The function reaches S3 through this forwarder only: cutting it off makes S3 really unreachable
  // for the function (connections refused) without stopping the S3 server other tests share.
  const proxy = new TcpOutageProxy({ targetHost: s3.hostname, targetPort: Number(s3.port) });

  beforeAll(async () => {
    await scenario.createTopics();
    await scenario.produce({ seed: 11, count: 150, badShare: 0.3 });
  });
  afterAll(async () => {
    await proxy.close();
    await scenario.cleanup();
  });

  it("retries the records whose dead letters could not be archived, then archives them: none lost", async () => {
    const endpoint = await proxy.start();
    const emulator = scenario.emulator(await scenario.function({ env: { S3_ENDPOINT: endpoint } }), {
      batchSize: 25,
      timeoutS: 3,
      retryAttempts: 20,
      // One invocation per partition at once, as Lambda scales: order must still hold per partition.
      concurrency: 3,
      onFailure: `kafka://${scenario.topics.onFailure}`,
    });
    await proxy.cutOff();
    const restored = new Promise<void>((resolve) =>
      setTimeout(() => void proxy.restore().then(resolve), OUTAGE_MS),
    );

    const [{ stats }] = await Promise.all([scenario.run(emulator, { untilIdleMs: 1_500 }), restored]);

    // The outage was seen: batches were answered with a partial response or failed whole.
    expect(stats.partialResponses + stats.functionErrors).toBeGreaterThan(0);
    expect(stats.redeliveredRecords).toBeGreaterThan(0);
    expect(stats).toMatchObject({ onFailureRecords: 0, droppedRecords: 0, outstanding: 0 });
    const result = await scenario.reconcile("kafka");
    expect(result.missing).toEqual([]);
    expect(result.inSeveralPlaces).toEqual([]);
    expect(await outOfOrder(scenario)).toEqual([]);
    const produced = await scenario.produce({ seed: 11, count: 0 });
    const expectedDeadLetters = produced.filter((p) => p.sample.expectedStage !== undefined);
    expect(result.found["dead-letter"]).toBe(expectedDeadLetters.length);
    expect(result.found.target).toBe(produced.length - expectedDeadLetters.length);
    // Every dead-lettered record has an archive object now that S3 is back. (A DLQ message written
    // while the archive write failed names an object that never came to be; the retry writes both
    // again under the retried batch's key.)
    const keysBySource = new Map<string, string[]>();
    for (const p of result.placements) {
      if (p.archiveKey !== undefined)
        keysBySource.set(p.source, [...(keysBySource.get(p.source) ?? []), p.archiveKey]);
    }
    expect(keysBySource.size).toBe(expectedDeadLetters.length);
    const existing = new Map<string, boolean>();
    for (const keys of keysBySource.values()) {
      for (const key of keys) {
        if (!existing.has(key)) existing.set(key, await objectExists(scenario, key));
      }
    }
    for (const [source, keys] of keysBySource) {
      expect(
        keys.some((k) => existing.get(k)),
        `archive object of ${source}`,
      ).toBe(true);
    }
  });
});
