/**
 * What the operator side needs from storage. Adapters (DynamoDB, S3, Kafka admin) implement these
 * and translate vendor errors at the boundary; the redrive logic never sees an SDK.
 */
import type { DeadLetterEnvelope } from "../core/deadLetter";
import type { RedriveRunState, ReplaySourceKind } from "./constants";
import type { ListingOrder } from "./indexQueries";
import type {
  ArchiveLocation,
  DeadLetterFilter,
  DeadLetterView,
  DiscardMark,
  RedriveCounts,
  RedriveMark,
  RedriveRequest,
  ReplayCandidate,
  ReplayRecord,
} from "./types";

/** The dead-letter index as the tools read and update it. */
export interface DeadLetterCatalog {
  get(id: string): Promise<DeadLetterView | undefined>;
  /**
   * Dead letters matching the filter (ids excepted: callers fetch those with `get`), in sort-key
   * order, lazily, from GSI queries only. `after` is a cursor: a sort key of an earlier page.
   */
  find(filter: DeadLetterFilter, order: ListingOrder, after?: string): AsyncIterable<DeadLetterView>;
  /** How many dead letters {@link find} would return, counted by the same queries. */
  count(filter: DeadLetterFilter): Promise<number>;
  /**
   * The dead letters at these source coordinates, oldest first: one per record that was ever there
   * (a re-created topic or another cluster reuses coordinates). One byTopic query, for the few
   * commands that name a letter by its coordinates.
   */
  atCoordinates(topic: string, partition: number, offset: number): Promise<DeadLetterView[]>;
  /** Whether any dead letter was ever recorded for the topic. */
  hasTopic(topic: string): Promise<boolean>;
  /** Sets status `redriven` unless the letter is no longer `new`; false when someone was first. */
  markRedriven(id: string, mark: RedriveMark & { readonly redriveCount: number }): Promise<boolean>;
  /** Sets status `discarded` unless the letter is no longer `new`. */
  markDiscarded(id: string, mark: DiscardMark): Promise<boolean>;
}

/** The S3 archive as the tools read it. */
export interface EnvelopeStore {
  /** The envelope at a line of an archive object, or undefined when the object or line is gone. */
  get(location: ArchiveLocation): Promise<DeadLetterEnvelope | undefined>;
}

/** The S3 on-failure destination's documents, oldest first. */
export interface OnFailureDocumentStore {
  list(
    bucket: string,
    prefix: string,
  ): AsyncIterable<{ readonly key: string; readonly lastModified: string }>;
  read(bucket: string, key: string): Promise<string>;
}

/**
 * Records replayed from on-failure documents, which have no index item to carry a status: the
 * ledger is their checkpoint, so a resumed or repeated redrive skips what already went.
 */
export interface ReplayLedger {
  replayed(ids: readonly string[]): Promise<ReadonlySet<string>>;
  markReplayed(entries: readonly (RedriveMark & { readonly id: string })[]): Promise<void>;
}

/** The checkpoint of one redrive run: its request and what it did so far. */
export interface RedriveRun {
  readonly runId: string;
  readonly request: RedriveRequest;
  readonly state: RedriveRunState;
  readonly counts: RedriveCounts;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly attempts: number;
}

export interface RedriveRunStore {
  load(runId: string): Promise<RedriveRun | undefined>;
  save(run: RedriveRun): Promise<void>;
}

/** Which topics exist: a replay never creates one. */
export interface TopicDirectory {
  missing(topics: readonly string[]): Promise<string[]>;
}

/** Where a redrive's records come from: the index and archive, or on-failure documents. */
export interface ReplaySource {
  readonly kind: ReplaySourceKind;
  /** How many candidates there are, when the source can tell without reading them. */
  count(): Promise<number | undefined>;
  /** The candidates, oldest first, so replays of one key keep their original order. */
  candidates(): AsyncIterable<ReplayCandidate>;
  /** The bytes of each candidate, or why they cannot be had. */
  load(candidates: readonly ReplayCandidate[]): Promise<Map<string, ReplayRecord | LoadFailure>>;
  /** Records the replays; returns the ids someone else had already marked (a concurrent run). */
  markReplayed(entries: readonly ReplayedEntry[]): Promise<ReadonlySet<string>>;
}

export interface LoadFailure {
  readonly failure: string;
}

export interface ReplayedEntry {
  readonly candidate: ReplayCandidate;
  readonly mark: RedriveMark;
  readonly redriveCount: number;
}
