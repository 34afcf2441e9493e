/**
 * What a canary run is made of, shared by the canary pipeline (in the processor), the CDK construct
 * (topics, outputs) and the `canary` tool (which produces and checks the records): one place for the
 * names, so the three cannot disagree.
 */

/** The three records of a run, each proving one path of the deployed pipeline. */
export const CANARY_KINDS = {
  /** Valid: must reach the target topic exactly once. */
  good: "good",
  /** Valid, but its first delivery fails on purpose (retry later): must come back through the mapping. */
  transientOnce: "transient-once",
  /** Fails the canary schema: must be a `validate` dead letter (DLQ topic, S3 archive, index). */
  invalid: "invalid",
} as const;
export type CanaryKind = (typeof CANARY_KINDS)[keyof typeof CANARY_KINDS];

/** The kinds whose deliveries the canary pipeline counts: the two the schema accepts. */
export type CountedCanaryKind = Exclude<CanaryKind, "invalid">;

/** A canary record's value, as the tool produces it (JSON). */
export interface CanaryRecordValue {
  /** The run id: every record, copy, dead letter and marker of a run carries it. */
  readonly canary: string;
  readonly kind: CanaryKind;
  /** ISO time the tool produced the record. */
  readonly sentAt: string;
}

/** Run ids are short, lower-case and safe in topic keys, DynamoDB keys and S3 listings. */
export const CANARY_RUN_ID = /^c-[a-z0-9]{1,24}-[a-f0-9]{4,16}$/;

/** Where a canary pipeline reads, writes its results and its dead letters. */
export interface CanaryTopics {
  readonly source: string;
  readonly target: string;
  readonly dlq: string;
}

/** `<source>.out` and `<source>.dlq`: the canary's own topics, never a user pipeline's. */
export function canaryTopics(source: string): CanaryTopics {
  return { source, target: `${source}.out`, dlq: `${source}.dlq` };
}

/** The construct's default canary topic: per stack, so two stacks on one cluster never share it. */
export function defaultCanaryTopic(stackName: string): string {
  return `${stackName}.canary`;
}

/** Attempts-table key of a run's delivery counts (`CANARY#<run-id>`), next to the processor's items. */
export function canaryMarkerKey(runId: string): string {
  return `CANARY#${runId}`;
}

/** How long a run's marker outlives a tool that never cleaned it up (DynamoDB TTL). */
export const CANARY_MARKER_TTL_SECONDS = 86_400;
