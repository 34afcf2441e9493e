import { randomBytes } from "node:crypto";
import { describeCause } from "../core/errors";
import type { MessageSink } from "../core/ports";
import { REDRIVE_RUN_STATES, type RedriveRunState } from "./constants";
import { RedriveFailedError, RedriveInputError, UnknownTopicError } from "./errors";
import type {
  LoadFailure,
  RedriveRun,
  RedriveRunStore,
  ReplayedEntry,
  ReplaySource,
  TopicDirectory,
} from "./ports";
import { produceReplays, type ReadyReplay } from "./produceReplays";
import { RateLimiter } from "./RateLimiter";
import { decideReplay, REPLAY_DECISIONS } from "./replayDecision";
import { buildReplayMessage, redriveCountInHeaders } from "./replayMessage";
import {
  MAX_LISTED_FAILURES,
  NO_COUNTS,
  RECORD_ACTIONS,
  type RecordReport,
  type RedriveCounts,
  type RedriveFailure,
  type RedriveRequest,
  type RedriveSummary,
  type ReplayCandidate,
  type ReplayRecord,
} from "./types";

export interface RedriverOptions {
  readonly sink: MessageSink;
  readonly runs: RedriveRunStore;
  readonly topics: TopicDirectory;
  /** Builds the source a request reads from (index or on-failure documents). */
  readonly sourceFor: (request: RedriveRequest) => ReplaySource;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly newRunId?: () => string;
}

/** What a caller (CLI, Lambda) hears while a redrive runs. */
export interface RedriveObserver {
  onStart?(info: {
    readonly runId: string;
    readonly resumed: boolean;
    readonly total: number | undefined;
    readonly request: RedriveRequest;
    readonly previous: RedriveCounts;
  }): void;
  onRecord?(report: RecordReport): void;
  onProgress?(progress: { readonly counts: RedriveCounts; readonly total: number | undefined }): void;
  /** Asked before each batch: a reason to stop now (Ctrl-C, the Lambda deadline), or undefined. */
  shouldStop?(): string | undefined;
}

type Counts = { -readonly [K in keyof RedriveCounts]: RedriveCounts[K] };

/**
 * Replays dead letters to their source topic (or another), at a bounded rate, in batches that are
 * each produced (acks from all replicas) and then marked, so that a crash repeats at most the one
 * batch in flight: at-least-once, like the rest of the pipeline.
 *
 * Every run has an id and a checkpoint (its request and running counts), so `resume(runId)` repeats
 * the same selection without retyping it and reports totals over all attempts. The selection is
 * frozen at the run's start (`until` = start time): records that fail again during the run are
 * dead letters of the next round, never replayed in a loop by the same run.
 *
 * @example
 * const summary = await redriver.start(request, { onRecord: (r) => console.log(r.id, r.action) });
 */
export class Redriver {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly newRunId: () => string;

  constructor(private readonly options: RedriverOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.newRunId = options.newRunId ?? defaultRunId(this.now);
  }

  /** Starts a new run. */
  async start(
    request: RedriveRequest,
    observer: RedriveObserver = {},
    runId?: string,
  ): Promise<RedriveSummary> {
    const startedAt = new Date(this.now()).toISOString();
    const until = request.filter.until;
    const frozen: RedriveRequest = {
      ...request,
      filter: { ...request.filter, until: until === undefined || until > startedAt ? startedAt : until },
    };
    const run: RedriveRun = {
      runId: runId ?? this.newRunId(),
      request: frozen,
      state: REDRIVE_RUN_STATES.running,
      counts: NO_COUNTS,
      startedAt,
      updatedAt: startedAt,
      attempts: 0,
    };
    if (runId !== undefined && !request.dryRun && (await this.options.runs.load(runId)) !== undefined) {
      throw new RedriveInputError(`a redrive run "${runId}" exists already: resume it or pick another id`);
    }
    return this.execute(run, false, observer);
  }

  /** Continues a run from its checkpoint with the request it was started with. */
  async resume(runId: string, observer: RedriveObserver = {}): Promise<RedriveSummary> {
    const run = await this.options.runs.load(runId);
    if (run === undefined) throw new RedriveInputError(`no redrive run "${runId}" to resume`);
    return this.execute(run, true, observer);
  }

  private async execute(
    run: RedriveRun,
    resumed: boolean,
    observer: RedriveObserver,
  ): Promise<RedriveSummary> {
    const { request } = run;
    await this.checkTopics(request);
    const startedAt = new Date(this.now()).toISOString();
    const counts: Counts = { ...NO_COUNTS };
    const byTopic: Record<string, number> = {};
    const checked = new Map<string, boolean>();
    const limiter = new RateLimiter(request.ratePerSecond, { now: this.now, sleep: this.sleep });
    const budget =
      request.maxCount === undefined ? Number.POSITIVE_INFINITY : request.maxCount - run.counts.replayed;
    let attempt: RedriveRun = { ...run, state: REDRIVE_RUN_STATES.running, attempts: run.attempts + 1 };
    const save = async (state: RedriveRunState) => {
      if (request.dryRun) return;
      attempt = {
        ...attempt,
        state,
        counts: add(run.counts, counts),
        updatedAt: new Date(this.now()).toISOString(),
      };
      await this.options.runs.save(attempt);
    };
    const summary = (state: RedriveRunState, stoppedBecause: string | undefined): RedriveSummary => ({
      runId: run.runId,
      source: request.source.kind,
      dryRun: request.dryRun,
      state,
      counts: { ...counts },
      total: add(run.counts, counts),
      byTopic: { ...byTopic },
      resumed,
      startedAt,
      finishedAt: new Date(this.now()).toISOString(),
      stoppedBecause,
      failures: [...failures],
    });
    const failures: RedriveFailure[] = [];
    const report = (r: RecordReport) => {
      if (r.action === RECORD_ACTIONS.failed && failures.length < MAX_LISTED_FAILURES)
        failures.push({ id: r.id, reason: r.detail });
      observer.onRecord?.(r);
    };

    const source = this.options.sourceFor(request);
    await save(REDRIVE_RUN_STATES.running);
    let stoppedBecause: string | undefined;
    try {
      const total = await source.count();
      observer.onStart?.({ runId: run.runId, resumed, total, request, previous: run.counts });
      const processBatch = async (batch: readonly ReplayCandidate[]) => {
        const wanted: ReplayCandidate[] = [];
        for (const candidate of batch) {
          if (wanted.length >= budget - counts.replayed) {
            stoppedBecause = `reached the maximum of ${request.maxCount} replayed records`;
            break;
          }
          counts.selected += 1;
          if (candidate.unreadable !== undefined) {
            counts.failed += 1;
            report({ id: candidate.id, action: RECORD_ACTIONS.failed, detail: candidate.unreadable });
            continue;
          }
          const decision = decideReplay(candidate, request.maxRedrives);
          if (decision.kind === REPLAY_DECISIONS.replay) wanted.push(candidate);
          else this.reportDecision(decision.kind, candidate.id, decision.reason, counts, report);
        }
        const ready = this.prepare(wanted, await source.load(wanted), request, counts, report);
        if (request.dryRun) {
          for (const r of ready) {
            counts.replayed += 1;
            report({
              id: r.candidate.id,
              action: RECORD_ACTIONS.wouldReplay,
              detail: `would go to ${r.topic}`,
              topic: r.topic,
            });
          }
        } else if (ready.length > 0) {
          await limiter.acquire(ready.length);
          const produced = await produceReplays(ready, {
            sink: this.options.sink,
            topicExists: (topic) => this.topicExists(topic, checked),
            fail: (item, detail) => {
              counts.failed += 1;
              report({ id: item.candidate.id, action: RECORD_ACTIONS.failed, detail });
            },
          });
          const at = new Date(this.now()).toISOString();
          const entries: ReplayedEntry[] = produced.map(({ item, receipt }) => ({
            candidate: item.candidate,
            redriveCount: item.redriveCount,
            mark: {
              at,
              runId: run.runId,
              topic: item.topic,
              partition: receipt.partition,
              offset: receipt.offset,
            },
          }));
          const markedElsewhere = await source.markReplayed(entries);
          for (const entry of entries) {
            counts.replayed += 1;
            byTopic[entry.mark.topic] = (byTopic[entry.mark.topic] ?? 0) + 1;
            report({
              id: entry.candidate.id,
              action: RECORD_ACTIONS.replayed,
              detail:
                `to ${entry.mark.topic}[${entry.mark.partition}]@${entry.mark.offset}, redrive ${entry.redriveCount}` +
                (markedElsewhere.has(entry.candidate.id) ? " (another run had marked it meanwhile)" : ""),
              topic: entry.mark.topic,
              partition: entry.mark.partition,
              offset: entry.mark.offset,
            });
          }
        }
        await save(REDRIVE_RUN_STATES.running);
        observer.onProgress?.({ counts: { ...counts }, total });
      };

      let batch: ReplayCandidate[] = [];
      for await (const candidate of source.candidates()) {
        batch.push(candidate);
        if (batch.length < request.batchSize) continue;
        stoppedBecause = observer.shouldStop?.();
        if (stoppedBecause !== undefined) break;
        await processBatch(batch);
        batch = [];
        if (stoppedBecause !== undefined) break;
      }
      if (stoppedBecause === undefined && batch.length > 0) {
        stoppedBecause = observer.shouldStop?.();
        if (stoppedBecause === undefined) await processBatch(batch);
      }
    } catch (error) {
      if (error instanceof RedriveInputError) throw error;
      await save(REDRIVE_RUN_STATES.failed).catch(() => undefined);
      throw new RedriveFailedError(summary(REDRIVE_RUN_STATES.failed, describeCause(error)), error);
    }
    const reachedMax = stoppedBecause?.startsWith("reached the maximum") ?? false;
    const state =
      stoppedBecause === undefined || reachedMax
        ? REDRIVE_RUN_STATES.completed
        : REDRIVE_RUN_STATES.interrupted;
    await save(state);
    return summary(state, stoppedBecause);
  }

  /** Unknown destination topics are bad input, found before anything is replayed. */
  private async checkTopics(request: RedriveRequest): Promise<void> {
    const destination = request.toTopic ?? request.filter.topic;
    if (destination === undefined) return;
    const missing = await this.options.topics.missing([destination]);
    if (missing.length > 0) throw new UnknownTopicError(missing);
  }

  private reportDecision(
    kind: "refuse" | "skip",
    id: string,
    reason: string,
    counts: Counts,
    report: (r: RecordReport) => void,
  ): void {
    if (kind === REPLAY_DECISIONS.refuse) {
      counts.refused += 1;
      report({ id, action: RECORD_ACTIONS.refused, detail: reason });
    } else {
      counts.skipped += 1;
      report({ id, action: RECORD_ACTIONS.skipped, detail: reason });
    }
  }

  /** Builds the replay messages; the loop guard looks again now that the record's headers are known. */
  private prepare(
    wanted: readonly ReplayCandidate[],
    loaded: Map<string, ReplayRecord | LoadFailure>,
    request: RedriveRequest,
    counts: Counts,
    report: (r: RecordReport) => void,
  ): ReadyReplay[] {
    const ready: ReadyReplay[] = [];
    const redrivenAt = new Date(this.now());
    for (const candidate of wanted) {
      const record = loaded.get(candidate.id) ?? { failure: "not loaded" };
      if ("failure" in record) {
        counts.failed += 1;
        report({ id: candidate.id, action: RECORD_ACTIONS.failed, detail: record.failure });
        continue;
      }
      const previous = Math.max(candidate.redriveCount, redriveCountInHeaders(record));
      const decision = decideReplay(
        { status: candidate.status, redriveCount: previous },
        request.maxRedrives,
      );
      if (decision.kind !== REPLAY_DECISIONS.replay) {
        this.reportDecision(decision.kind, candidate.id, decision.reason, counts, report);
        continue;
      }
      const topic = request.toTopic ?? candidate.topic;
      ready.push({
        candidate,
        topic,
        redriveCount: decision.redriveCount,
        message: buildReplayMessage(record, {
          deadLetterId: candidate.id,
          redriveCount: decision.redriveCount,
          redrivenAt,
          ...(request.toTopic === undefined ? { preferredPartition: candidate.partition } : {}),
        }),
      });
    }
    return ready;
  }

  private async topicExists(topic: string, checked: Map<string, boolean>): Promise<boolean> {
    let exists = checked.get(topic);
    if (exists === undefined) {
      exists = (await this.options.topics.missing([topic])).length === 0;
      checked.set(topic, exists);
    }
    return exists;
  }
}

function add(a: RedriveCounts, b: RedriveCounts): RedriveCounts {
  return {
    selected: a.selected + b.selected,
    replayed: a.replayed + b.replayed,
    refused: a.refused + b.refused,
    skipped: a.skipped + b.skipped,
    failed: a.failed + b.failed,
  };
}

/** `r-20261122T1030-3f9a`: sortable, short enough to type, unique enough for one table. */
function defaultRunId(now: () => number): () => string {
  return () => {
    const stamp = new Date(now()).toISOString().replace(/[-:]/g, "").slice(0, 13);
    return `r-${stamp}-${randomBytes(2).toString("hex")}`;
  };
}
