import { enforcePartitionOrder } from "../batchResponse";
import type { DecodedRecord, EventPartition } from "../decodeEvent";
import { describeCause, FAILURE_STAGES, RetriesExhaustedError } from "../errors";
import type { AttemptLedger, ProcessorLogger, ProducedRecordStore } from "../ports";
import { recordId } from "../recordIdentity";
import { OUTCOMES, type RecordOutcome, type RetryOutcome } from "../types";
import type { DeadLetterRoute, DeadLetterWriter, FailedRecord } from "./DeadLetterWriter";
import { beforeDeadline, type InvocationRun, withExtraTime } from "./InvocationRun";
import type { OrderedSender } from "./OrderedSender";
import { blockedOutcome, producedOutcome, retryOutcome } from "./outcomes";
import type { PlannedRecord } from "./planPartition";

export interface PartitionRoute extends DeadLetterRoute {
  readonly targetTopic: string;
}

export interface PartitionProcessorOptions {
  readonly sender: OrderedSender;
  readonly deadLetters: DeadLetterWriter;
  readonly ledger: { readonly ledger: AttemptLedger; readonly maxTransientFailures: number } | undefined;
  readonly idempotency: ProducedRecordStore | undefined;
  readonly logger: ProcessorLogger;
  readonly ordered: boolean;
  /** Extra time the final `retries-exhausted` write may use, out of the safety margin. */
  readonly finalWriteGraceMs: number;
}

type Ready = Extract<PlannedRecord, { kind: "ready" }>;
type Failed = Extract<PlannedRecord, { kind: "failed" }>;

/**
 * Writes one partition's planned records and decides each one's outcome.
 *
 * Ordered mode walks the partition in offset order, one run of records at a time: a run of ready
 * records is produced, a run of dead letters gets its DLQ copies and index items, and the walk
 * stops at the first record that is not durably somewhere, so nothing after it reaches the target
 * in this invocation (Lambda resumes there). Once a run has reached the target, the rest of the
 * partition takes two steps instead of two per dead letter: every remaining dead letter, then
 * every good record before the first dead letter that is not done (see
 * {@link PartitionProcessor.writeRestAfterProvenTarget}). The archive object of the partition's
 * dead letters is written up front, while the first run is produced: it is keyed by offsets and
 * overwritten by a retried invocation, never duplicated. Unordered mode writes everything at once.
 */
export class PartitionProcessor {
  constructor(private readonly options: PartitionProcessorOptions) {}

  async process(
    partition: EventPartition,
    route: PartitionRoute,
    plan: readonly PlannedRecord[],
    run: InvocationRun,
  ): Promise<RecordOutcome[]> {
    const done = await this.alreadyProduced(plan, route, run);
    const outcomes = this.options.ordered
      ? await this.walkInOrder(route, plan, done, run)
      : await this.writeAtOnce(route, plan, done, run);
    await this.rememberProduced(outcomes, done, route, run);
    outcomes.sort((a, b) => a.record.offset - b.record.offset);
    const settled = await this.giveUpOnRepeatedFailure(
      route,
      this.options.ordered ? enforcePartitionOrder(outcomes) : outcomes,
      run,
    );
    this.logRetries(partition, settled);
    return settled;
  }

  private async walkInOrder(
    route: PartitionRoute,
    plan: readonly PlannedRecord[],
    done: ReadonlySet<string>,
    run: InvocationRun,
  ): Promise<RecordOutcome[]> {
    const outcomes: RecordOutcome[] = [];
    const firstRetry = plan.findIndex((p) => p.kind === "retry");
    const walkable = firstRetry < 0 ? plan : plan.slice(0, firstRetry);
    const segments = runsOf(walkable);
    const allFailed = walkable.filter((p): p is Failed => p.kind === "failed");

    // The archive object of every dead letter before the first retry, while the first run is produced.
    const first = segments[0];
    const [archived, firstProduced] = await Promise.all([
      allFailed.length > 0 ? this.options.deadLetters.archive(route, allFailed, run) : undefined,
      first?.[0]?.kind === "ready" ? this.produceRun(route, first as Ready[], done, run) : undefined,
    ]);
    // The DLQ copies and index items of these dead letters, or what their failed archive said.
    const publish = async (items: readonly PlannedRecord[]): Promise<RecordOutcome[]> => {
      const records = new Set(items.map((s) => s.record));
      if (!archived?.ok)
        return (archived?.outcomes ?? []).filter((o) => records.has(o.record as DecodedRecord));
      const chosen = archived.letters.filter((l) => records.has(l.record));
      // All of the archived letters (a storm, or a partition that starts with a good record): the
      // archive already asked the index about exactly these.
      const asked = chosen.length === archived.letters.length ? archived.storedBefore : undefined;
      return this.options.deadLetters.publish(route, chosen, run, asked);
    };

    let stoppedAt: number | undefined;
    for (const [i, segment] of segments.entries()) {
      const ready = segment[0]?.kind === "ready";
      const written = !ready
        ? await publish(segment)
        : i === 0 && firstProduced !== undefined
          ? firstProduced
          : await this.produceRun(route, segment as Ready[], done, run);
      outcomes.push(...written);
      stoppedAt = firstRetryOffset(written);
      if (stoppedAt !== undefined) break;
      if (ready && i + 1 < segments.length) {
        stoppedAt = await this.writeRestAfterProvenTarget(
          route,
          segments.slice(i + 1).flat(),
          publish,
          done,
          run,
          outcomes,
        );
        break;
      }
    }

    // Every record written and none to retry (the usual case): nothing left to settle.
    if (outcomes.length === plan.length) return outcomes;
    const settled = new Set(outcomes.map((o) => o.record));
    const blocking = stoppedAt ?? plan[firstRetry]?.record.offset;
    for (const item of plan) {
      if (settled.has(item.record)) continue;
      if (item.kind === "retry" && item.record.offset === blocking) {
        outcomes.push(retryOutcome(item.record, item.reason, item.errorClass, item.ownFailure));
      } else {
        outcomes.push(blockedOutcome(item.record, blocking ?? item.record.offset));
      }
    }
    return outcomes;
  }

  /**
   * The rest of the walk once a run of this partition reached the target in this invocation: every
   * remaining dead letter in one DLQ write and one index write, then every ready record before the
   * first dead letter that is not done, in requests cut by size. Two round trips instead of two
   * per dead letter. The target has just answered, so a dead letter written ahead of records that
   * then fail is rare, and it is written again at most once (the redelivery starts at the failed
   * record, whose run must reach the target before any dead letter is written ahead again): an
   * outage of the target still does not repeat DLQ copies on every redelivery. Nothing after a
   * record that is not done reaches the target. Returns the offset the partition stopped at.
   */
  private async writeRestAfterProvenTarget(
    route: PartitionRoute,
    rest: readonly PlannedRecord[],
    publish: (items: readonly PlannedRecord[]) => Promise<RecordOutcome[]>,
    done: ReadonlySet<string>,
    run: InvocationRun,
    outcomes: RecordOutcome[],
  ): Promise<number | undefined> {
    const letters = rest.filter((p) => p.kind === "failed");
    const published = letters.length > 0 ? await publish(letters) : [];
    outcomes.push(...published);
    const unfinishedLetter = firstRetryOffset(published);
    const ready = rest.filter(
      (p): p is Ready =>
        p.kind === "ready" && (unfinishedLetter === undefined || p.record.offset < unfinishedLetter),
    );
    const produced = ready.length > 0 ? await this.produceRun(route, ready, done, run) : [];
    outcomes.push(...produced);
    const unfinishedTarget = firstRetryOffset(produced);
    if (unfinishedTarget === undefined) return unfinishedLetter;
    return unfinishedLetter === undefined ? unfinishedTarget : Math.min(unfinishedLetter, unfinishedTarget);
  }

  /**
   * Produces a run of ready records in order. A record the broker refuses for good is dead-lettered
   * before anything after it is produced; if that dead letter cannot be written, the run stops there.
   */
  private async produceRun(
    route: PartitionRoute,
    items: readonly Ready[],
    done: ReadonlySet<string>,
    run: InvocationRun,
  ): Promise<RecordOutcome[]> {
    const outcomes: RecordOutcome[] = [];
    // Without an idempotency store nothing is done yet: no record id (a SHA-256 each) to compute.
    let pending =
      done.size === 0
        ? items
        : items.filter((r) => {
            if (!done.has(this.producedKey(r.record, route, run))) return true;
            outcomes.push(producedOutcome(r.record, route.targetTopic));
            return false;
          });
    while (pending.length > 0) {
      const statuses = await this.options.sender.send(
        route.targetTopic,
        pending.map((p) => p.message),
        run,
        { stopAtFirstProblem: true },
      );
      let next: Ready[] = [];
      for (const [i, status] of statuses.entries()) {
        const item = pending[i] as Ready;
        if (status.kind === "sent") {
          outcomes.push(producedOutcome(item.record, route.targetTopic));
          continue;
        }
        if (status.kind === "rejected") {
          const dead = await this.options.deadLetters.deadLetter(
            route,
            [
              {
                record: item.record,
                failure: { stage: FAILURE_STAGES.produce, error: status.error, attempts: status.attempts },
              },
            ],
            run,
          );
          outcomes.push(...dead);
          if (dead.every((o) => o.kind === OUTCOMES.deadLettered)) next = pending.slice(i + 1);
        } else if (status.kind === "failed") {
          outcomes.push(retryOutcome(item.record, status.reason, status.errorClass, status.ownFailure));
        }
        break;
      }
      pending = next;
    }
    return outcomes;
  }

  private async writeAtOnce(
    route: PartitionRoute,
    plan: readonly PlannedRecord[],
    done: ReadonlySet<string>,
    run: InvocationRun,
  ): Promise<RecordOutcome[]> {
    const outcomes: RecordOutcome[] = [];
    const fresh: Ready[] = [];
    const failed: FailedRecord[] = [];
    for (const item of plan) {
      if (item.kind === "retry")
        outcomes.push(retryOutcome(item.record, item.reason, item.errorClass, item.ownFailure));
      else if (item.kind === "failed") failed.push(item);
      else if (done.size > 0 && done.has(this.producedKey(item.record, route, run)))
        outcomes.push(producedOutcome(item.record, route.targetTopic));
      else fresh.push(item);
    }
    const [deadLettered, statuses] = await Promise.all([
      this.options.deadLetters.deadLetter(route, failed, run),
      this.options.sender.send(
        route.targetTopic,
        fresh.map((r) => r.message),
        run,
        { stopAtFirstProblem: false },
      ),
    ]);
    outcomes.push(...deadLettered);
    const rejected: FailedRecord[] = [];
    statuses.forEach((status, i) => {
      const { record } = fresh[i] as Ready;
      if (status.kind === "sent") outcomes.push(producedOutcome(record, route.targetTopic));
      else if (status.kind === "rejected") {
        rejected.push({
          record,
          failure: { stage: FAILURE_STAGES.produce, error: status.error, attempts: status.attempts },
        });
      } else if (status.kind === "failed")
        outcomes.push(retryOutcome(record, status.reason, status.errorClass, status.ownFailure));
      else outcomes.push(retryOutcome(record, "not sent in this invocation", "DeadlineReachedError", false));
    });
    outcomes.push(...(await this.options.deadLetters.deadLetter(route, rejected, run)));
    return outcomes;
  }

  /**
   * Counts the failure of the record that blocks its partition (Lambda resumes there) and, once it
   * has failed on its own too often, dead-letters it as `retries-exhausted`. A record that only
   * waited (for an earlier record, or for time the earlier records used) is not counted. The ledger
   * is advisory: when it cannot be reached in time the record is simply reported for retry again.
   */
  private async giveUpOnRepeatedFailure(
    route: PartitionRoute,
    outcomes: RecordOutcome[],
    run: InvocationRun,
  ): Promise<RecordOutcome[]> {
    const ledger = this.options.ledger;
    const index = outcomes.findIndex((o) => o.kind === OUTCOMES.retry);
    const blocking = outcomes[index] as RetryOutcome | undefined;
    if (ledger === undefined || blocking === undefined || !blocking.ownFailure) return outcomes;

    const record = blocking.record as DecodedRecord;
    const id = recordId(run.cluster, record);
    let attempts: number;
    try {
      attempts = await beforeDeadline(run, () => ledger.ledger.recordTransientFailure(id, blocking.reason));
    } catch (error) {
      this.options.logger.warn("attempt ledger unavailable; record reported for retry", {
        recordId: id,
        error: describeCause(error),
      });
      return outcomes;
    }
    if (attempts < ledger.maxTransientFailures) return outcomes;

    const exhausted = new RetriesExhaustedError(attempts, blocking.reason);
    const [outcome] = await this.options.deadLetters.deadLetter(
      route,
      [{ record, failure: { stage: exhausted.stage, error: exhausted, attempts } }],
      withExtraTime(run, this.options.finalWriteGraceMs),
    );
    const replaced = [...outcomes];
    if (outcome !== undefined) replaced[index] = outcome;
    return replaced;
  }

  /** Idempotency: which ready records a previous delivery already wrote to this target topic. */
  private async alreadyProduced(
    plan: readonly PlannedRecord[],
    route: PartitionRoute,
    run: InvocationRun,
  ): Promise<ReadonlySet<string>> {
    const store = this.options.idempotency;
    if (store === undefined) return new Set();
    const keys = plan.filter((p) => p.kind === "ready").map((p) => this.producedKey(p.record, route, run));
    if (keys.length === 0) return new Set();
    try {
      return await beforeDeadline(run, () => store.findProduced(keys));
    } catch (error) {
      this.options.logger.warn("idempotency store unavailable; producing without de-duplication", {
        error: describeCause(error),
      });
      return new Set();
    }
  }

  private async rememberProduced(
    outcomes: readonly RecordOutcome[],
    done: ReadonlySet<string>,
    route: PartitionRoute,
    run: InvocationRun,
  ): Promise<void> {
    const store = this.options.idempotency;
    if (store === undefined) return;
    const keys = outcomes
      .filter((o) => o.kind === OUTCOMES.produced)
      .map((o) => this.producedKey(o.record, route, run))
      .filter((key) => !done.has(key));
    if (keys.length === 0) return;
    try {
      await beforeDeadline(withExtraTime(run, this.options.finalWriteGraceMs), () =>
        store.markProduced(keys),
      );
    } catch (error) {
      this.options.logger.warn("idempotency store unavailable; records may be produced again on redelivery", {
        error: describeCause(error),
      });
    }
  }

  /** The record's id and the target topic: a record routed to another target is another write. */
  private producedKey(
    record: DecodedRecord | RecordOutcome["record"],
    route: PartitionRoute,
    run: InvocationRun,
  ): string {
    return `${recordId(run.cluster, record)}>${route.targetTopic}`;
  }

  private logRetries(partition: EventPartition, outcomes: readonly RecordOutcome[]): void {
    const retries = outcomes.filter((o): o is RetryOutcome => o.kind === OUTCOMES.retry);
    const first = retries[0];
    if (first === undefined) return;
    this.options.logger.warn("records reported for retry", {
      topic: partition.topic,
      partition: partition.partition,
      fromOffset: first.record.offset,
      count: retries.length,
      reason: first.reason,
      errorClass: first.errorClass,
    });
  }
}

/** The lowest offset reported for retry among `written`, if any. */
function firstRetryOffset(written: readonly RecordOutcome[]): number | undefined {
  let lowest: number | undefined;
  for (const outcome of written) {
    if (outcome.kind === OUTCOMES.retry && (lowest === undefined || outcome.record.offset < lowest))
      lowest = outcome.record.offset;
  }
  return lowest;
}

/** Consecutive ready or failed records, in order. */
function runsOf(plan: readonly PlannedRecord[]): PlannedRecord[][] {
  const runs: PlannedRecord[][] = [];
  for (const item of plan) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last[0]?.kind === item.kind) last.push(item);
    else runs.push([item]);
  }
  return runs;
}
