import { Metrics } from "@aws-lambda-powertools/metrics";
import { afterEach, describe, expect, it, vi } from "vitest";
import { publishBatchMetrics } from "../../../functions/lib/adapters/batchMetrics";
import type { BatchStats } from "../../../functions/lib/core/KafkaBatchProcessor";
import { METRIC_NAMES, STAGE_DIMENSION } from "../../../functions/lib/metricNames";

/** The rules of the CloudWatch Embedded Metric Format specification that a log line must meet. */
function assertValidEmf(doc: Record<string, unknown>): void {
  const aws = doc._aws as { Timestamp: unknown; CloudWatchMetrics: unknown };
  expect(typeof aws.Timestamp).toBe("number");
  expect(Array.isArray(aws.CloudWatchMetrics)).toBe(true);
  for (const directive of aws.CloudWatchMetrics as Record<string, unknown>[]) {
    expect(typeof directive.Namespace).toBe("string");
    expect((directive.Namespace as string).length).toBeGreaterThan(0);
    const dimensionSets = directive.Dimensions as string[][];
    for (const set of dimensionSets) {
      expect(set.length).toBeLessThanOrEqual(30);
      for (const name of set) expect(typeof doc[name]).toBe("string");
    }
    const metrics = directive.Metrics as { Name: string; Unit?: string }[];
    expect(metrics.length).toBeGreaterThan(0);
    expect(metrics.length).toBeLessThanOrEqual(100);
    for (const metric of metrics) {
      const value = doc[metric.Name];
      const values = Array.isArray(value) ? value : [value];
      for (const v of values) expect(typeof v).toBe("number");
    }
  }
}

const stats: BatchStats = {
  received: 10,
  produced: 6,
  deadLettered: 3,
  deadLetteredByStage: { decode: 1, validate: 2 },
  retried: 1,
  dlqCopiesAbsent: 0,
  deadLetterWriteFailures: 1,
  durationMs: 12.5,
};

describe("publishBatchMetrics", () => {
  afterEach(() => vi.restoreAllMocks());

  it("emits valid EMF documents with every batch metric and dead letters by stage", () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(chunk.toString());
      return true;
    });
    const metrics = new Metrics({ namespace: "KafkaLambdaPipelineTest", serviceName: "kafka-processor" });

    publishBatchMetrics(metrics, stats);
    metrics.publishStoredMetrics();

    const docs = lines
      .join("")
      .split("\n")
      .filter((l) => l.trim().startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const doc of docs) assertValidEmf(doc);
    const main = docs.find((d) => d[METRIC_NAMES.recordsReceived] !== undefined);
    expect(main).toMatchObject({
      service: "kafka-processor",
      [METRIC_NAMES.recordsReceived]: 10,
      [METRIC_NAMES.recordsProcessed]: 6,
      [METRIC_NAMES.recordsDeadLettered]: 3,
      [METRIC_NAMES.recordsRetried]: 1,
      [METRIC_NAMES.deadLetterWriteFailures]: 1,
      [METRIC_NAMES.batchDuration]: 12.5,
    });
    const byStage = docs
      .filter((d) => d[STAGE_DIMENSION] !== undefined)
      .map((d) => [d[STAGE_DIMENSION], d[METRIC_NAMES.recordsDeadLettered]]);
    expect(byStage).toEqual([
      ["decode", 1],
      ["validate", 2],
    ]);
  });
});
