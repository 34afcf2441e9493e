import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { BatchStats } from "../core/KafkaBatchProcessor";
import { METRIC_NAMES, STAGE_DIMENSION } from "../metricNames";

/**
 * Adds a batch's counts to the Powertools metrics buffer (flushed as EMF by `logMetrics`).
 * Dead letters are published twice: a total for alarms, and one EMF document per stage so the
 * dashboard can break them down without a metric math expression per stage.
 */
export function publishBatchMetrics(metrics: Metrics, stats: BatchStats): void {
  metrics.addMetric(METRIC_NAMES.recordsReceived, MetricUnit.Count, stats.received);
  metrics.addMetric(METRIC_NAMES.recordsProcessed, MetricUnit.Count, stats.produced);
  metrics.addMetric(METRIC_NAMES.recordsDeadLettered, MetricUnit.Count, stats.deadLettered);
  metrics.addMetric(METRIC_NAMES.recordsRetried, MetricUnit.Count, stats.retried);
  metrics.addMetric(METRIC_NAMES.deadLetterWriteFailures, MetricUnit.Count, stats.deadLetterWriteFailures);
  metrics.addMetric(METRIC_NAMES.dlqCopiesAbsent, MetricUnit.Count, stats.dlqCopiesAbsent);
  metrics.addMetric(METRIC_NAMES.batchDuration, MetricUnit.Milliseconds, stats.durationMs);
  for (const [stage, count] of Object.entries(stats.deadLetteredByStage)) {
    const single = metrics.singleMetric();
    single.addDimension(STAGE_DIMENSION, stage);
    single.addMetric(METRIC_NAMES.recordsDeadLettered, MetricUnit.Count, count);
  }
}
