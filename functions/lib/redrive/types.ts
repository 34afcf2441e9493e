/**
 * Domain types of the operator side: which dead letters, what a redrive was asked to do, and what
 * it did. Plain data (ISO strings, no Dates) so a request can be stored in a checkpoint and be a
 * Lambda event as it is.
 */
import type { DeadLetterStatus, IndexedDeadLetter } from "../adapters/DynamoDeadLetterIndex";
import type { DeadLetterEnvelope } from "../core/deadLetter";
import type { REPLAY_SOURCES, RedriveRunState, ReplaySourceKind } from "./constants";

/** Which dead letters a command applies to; every field narrows, none set means all. */
export interface DeadLetterFilter {
  /** Explicit dead-letter ids (`<topic>:<partition>:<offset>`); when given, the others still apply. */
  readonly ids: readonly string[];
  readonly topic: string | undefined;
  /** Inclusive lower bound of `failedAt`, ISO 8601. */
  readonly since: string | undefined;
  /** Exclusive upper bound of `failedAt`, ISO 8601. */
  readonly until: string | undefined;
  readonly stage: string | undefined;
  readonly errorClass: string | undefined;
  /** Statuses to include; never empty. */
  readonly statuses: readonly DeadLetterStatus[];
}

/** The record bytes a replay writes: base64 key, value and headers, as the envelope keeps them. */
export type ReplayRecord = DeadLetterEnvelope["record"];

/** When and where a dead letter was replayed, as the index records it. */
export interface RedriveMark {
  readonly at: string;
  readonly runId: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export interface DiscardMark {
  readonly at: string;
  readonly reason: string;
}

/** A dead letter as the tools see it: the index item plus what operators did with it. */
export interface DeadLetterView extends IndexedDeadLetter {
  /** `<failedAt>#<id>`: the order of both indexes, and the cursor of a listing. */
  readonly sortKey: string;
  readonly redrive: RedriveMark | undefined;
  readonly discard: DiscardMark | undefined;
}

/** One record a redrive may replay, from the index or from an on-failure document. */
export interface ReplayCandidate {
  readonly id: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly failedAt: string;
  readonly stage: string;
  readonly errorClass: string;
  readonly status: DeadLetterStatus;
  /** How often the record was already redriven, as far as the source knows. */
  readonly redriveCount: number;
  /** Present when the source already holds the bytes (on-failure documents). */
  readonly record?: ReplayRecord;
  /** Where the envelope is archived (index candidates). */
  readonly archive?: ArchiveLocation;
  /** Set when the source could not read the record at all; the redrive reports it as failed. */
  readonly unreadable?: string;
}

/** One envelope in the S3 archive: the object, its zero-based line, and the id expected there. */
export interface ArchiveLocation {
  readonly bucket: string;
  readonly key: string;
  readonly line: number;
  readonly id: string;
}

export type ReplaySourceSpec =
  | { readonly kind: typeof REPLAY_SOURCES.index }
  | {
      readonly kind: typeof REPLAY_SOURCES.onFailure;
      readonly bucket: string;
      readonly prefix: string;
    };

/** Everything a redrive was asked to do; stored with its checkpoint so a resume repeats it exactly. */
export interface RedriveRequest {
  readonly source: ReplaySourceSpec;
  readonly filter: DeadLetterFilter;
  /** Replay to this topic instead of each record's source topic. */
  readonly toTopic: string | undefined;
  /** Records already redriven this often are refused. */
  readonly maxRedrives: number;
  /** Stop after replaying this many records (over all resumes of the run). */
  readonly maxCount: number | undefined;
  readonly ratePerSecond: number;
  readonly batchSize: number;
  readonly dryRun: boolean;
}

export interface RedriveCounts {
  /** Records the filters selected and the run looked at. */
  readonly selected: number;
  readonly replayed: number;
  /** Refused by the loop guard. */
  readonly refused: number;
  /** Not in status `new` (already redriven or discarded, by this run before a crash or another). */
  readonly skipped: number;
  /** Could not be replayed (archive object gone, broker rejected the record). */
  readonly failed: number;
}

export const NO_COUNTS: RedriveCounts = { selected: 0, replayed: 0, refused: 0, skipped: 0, failed: 0 };

export const RECORD_ACTIONS = {
  replayed: "replayed",
  wouldReplay: "would-replay",
  refused: "refused",
  skipped: "skipped",
  failed: "failed",
  discarded: "discarded",
  wouldDiscard: "would-discard",
} as const;
export type RecordAction = (typeof RECORD_ACTIONS)[keyof typeof RECORD_ACTIONS];

/** What happened to one record; reported to the operator as it happens. */
export interface RecordReport {
  readonly id: string;
  readonly action: RecordAction;
  readonly detail: string;
  /** Where the replay went, for `replayed`. */
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: number;
}

export interface RedriveSummary {
  readonly runId: string;
  readonly source: ReplaySourceKind;
  readonly dryRun: boolean;
  readonly state: RedriveRunState;
  /** What this invocation did. */
  readonly counts: RedriveCounts;
  /** What the run did over all its attempts (a resumed run adds to the crashed one). */
  readonly total: RedriveCounts;
  /** Records replayed per destination topic by this invocation. */
  readonly byTopic: Readonly<Record<string, number>>;
  readonly resumed: boolean;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** Why the run stopped early, when it did. */
  readonly stoppedBecause: string | undefined;
  /**
   * The letters this invocation could not replay and why, oldest first (the first
   * {@link MAX_LISTED_FAILURES}; `counts.failed` has them all).
   */
  readonly failures: readonly RedriveFailure[];
}

export interface RedriveFailure {
  readonly id: string;
  readonly reason: string;
}

/** Failures a summary names one by one: enough to act on, small enough for a Lambda response. */
export const MAX_LISTED_FAILURES = 100;
