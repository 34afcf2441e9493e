import type { FailureKeyName } from "../config";
import { blockedOutcome } from "./processing/outcomes";
import { type KafkaBatchResponse, OUTCOMES, type RecordOutcome } from "./types";

/**
 * Builds the partial batch response: per topic-partition, the lowest offset that is not done.
 *
 * Lambda resumes each reported partition at the reported offset and redelivers everything after it,
 * so one entry per partition is all it reads; more entries would only risk an identifier that was
 * not in the event, which fails the whole batch. Only offsets of records in the batch are reported.
 *
 * @example
 * buildBatchResponse(partitions, outcomes, "partition");
 * // { batchItemFailures: [{ itemIdentifier: { partition: "orders-0", offset: 42 } }] }
 */
export function buildBatchResponse(
  partitions: readonly { readonly id: string; readonly records: readonly { readonly offset: number }[] }[],
  outcomes: readonly RecordOutcome[],
  keyName: FailureKeyName,
): KafkaBatchResponse {
  const lowest = new Map<string, number>();
  for (const outcome of outcomes) {
    if (outcome.kind !== OUTCOMES.retry) continue;
    const id = `${outcome.record.topic}-${outcome.record.partition}`;
    const current = lowest.get(id);
    if (current === undefined || outcome.record.offset < current) lowest.set(id, outcome.record.offset);
  }
  const batchItemFailures = [];
  for (const partition of partitions) {
    const offset = lowest.get(partition.id);
    if (offset === undefined) continue;
    if (!partition.records.some((r) => r.offset === offset)) {
      throw new RangeError(`offset ${offset} is not in partition ${partition.id} of the batch`);
    }
    batchItemFailures.push({ itemIdentifier: { [keyName]: partition.id, offset } });
  }
  return { batchItemFailures };
}

/**
 * Ordered mode: nothing after a partition's first record that must be retried counts as done,
 * because Lambda redelivers it anyway and a later record must not overtake an earlier one.
 */
export function enforcePartitionOrder(outcomes: readonly RecordOutcome[]): RecordOutcome[] {
  const firstRetry = new Map<string, number>();
  for (const outcome of outcomes) {
    if (outcome.kind !== OUTCOMES.retry) continue;
    const id = `${outcome.record.topic}-${outcome.record.partition}`;
    const current = firstRetry.get(id);
    if (current === undefined || outcome.record.offset < current) firstRetry.set(id, outcome.record.offset);
  }
  if (firstRetry.size === 0) return [...outcomes];
  return outcomes.map((outcome) => {
    const id = `${outcome.record.topic}-${outcome.record.partition}`;
    const cutoff = firstRetry.get(id);
    if (outcome.kind === OUTCOMES.retry || cutoff === undefined || outcome.record.offset < cutoff)
      return outcome;
    return blockedOutcome(outcome.record, cutoff);
  });
}
