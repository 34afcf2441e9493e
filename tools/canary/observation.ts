/**
 * What a canary run saw, gathered by the tool from the deployment's sinks (target and DLQ topics,
 * archive, index, the run's delivery counts): plain data, so the checks are pure functions of it.
 */
import type { IndexedDeadLetter } from "../../functions/lib/adapters/DynamoDeadLetterIndex";
import type { CanaryKind, CanaryTopics } from "../../functions/lib/canary/canaryRecord";

/** One record of the run as produced to the canary topic. */
export interface ProducedCanary {
  readonly kind: CanaryKind;
  readonly partition: number;
  readonly offset: number;
  /** The exact bytes produced, to compare with the archived envelope. */
  readonly value: Buffer;
}

/** A copy of one of the run's records found in the target or the DLQ topic. */
export interface TopicCopy {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** The `kind` of the value's JSON; undefined when the value is not a canary record. */
  readonly kind: CanaryKind | undefined;
  /** Headers as UTF-8 (the last value of a repeated name). */
  readonly headers: Readonly<Record<string, string>>;
}

/** The archive object named by a dead letter's `x-dlq-archive-key`. */
export type ArchiveView =
  | { readonly found: false; readonly bucket: string; readonly key: string; readonly reason: string }
  | {
      readonly found: true;
      readonly bucket: string;
      readonly key: string;
      /** The envelopes' ids, source topics and record values (base64), in line order. */
      readonly envelopes: readonly {
        readonly id: string;
        readonly sourceTopic: string;
        readonly value: string | null;
      }[];
    };

/** The index item of a dead letter, by its id. */
export type IndexView =
  | { readonly found: false; readonly id: string; readonly reason: string }
  | { readonly found: true; readonly id: string; readonly item: IndexedDeadLetter };

/** Delivery counts of the run's `CANARY#` item; undefined when the function never counted one. */
export interface DeliveryCounts {
  readonly good: number;
  readonly "transient-once": number;
}

export interface CanaryObservation {
  readonly runId: string;
  readonly topics: CanaryTopics;
  readonly produced: Readonly<Record<CanaryKind, ProducedCanary>>;
  /** The run's records found in the target topic, in the order read. */
  readonly target: readonly TopicCopy[];
  /** The run's records found in the DLQ topic. */
  readonly dlq: readonly TopicCopy[];
  readonly deliveries: DeliveryCounts | undefined;
  /** The archive object of the invalid record's (first) DLQ copy; undefined without a copy. */
  readonly archive: ArchiveView | undefined;
  /** The index item of the invalid record's dead letter; undefined without a DLQ copy. */
  readonly index: IndexView | undefined;
  /** How long the tool waited for the pipeline. */
  readonly waitedMs: number;
}

/** What the checks need to know about the deployment besides what they saw. */
export interface CheckContext {
  /** The item identifier key the function emits (FAILURE_KEY_NAME). */
  readonly failureKeyName: string;
  /** The processor's name, for the commands a failure message suggests. */
  readonly functionName: string;
}

export interface CheckResult {
  readonly pass: boolean;
  /** What is checked, e.g. `good record reached shop.canary.out exactly once`. */
  readonly name: string;
  /** Where it was found, or why it failed and what to try. */
  readonly detail: string;
}
