import {
  archiveObjectKey,
  buildDeadLetterEnvelope,
  buildDeadLetterMessage,
  type DeadLetterEnvelope,
  type DeadLetterFailure,
} from "../deadLetter";
import type { DecodedRecord } from "../decodeEvent";
import { type DeadLetterSinkName, DeadLetterWriteError, errorClassName } from "../errors";
import { REDRIVE_HEADERS } from "../headers";
import type {
  DeadLetterArchive,
  DeadLetterIndex,
  DeadLetterIndexEntry,
  DeadLetterIndexLetter,
  DeadLetterIndexLookup,
  IndexedBefore,
  ProcessorLogger,
} from "../ports";
import { RetryGiveUp, type RetryPolicy, retryWithBackoff, withDeadline } from "../retry";
import { OUTCOMES, type RecordOutcome } from "../types";
import type { InvocationRun } from "./InvocationRun";
import type { OrderedSender } from "./OrderedSender";
import { retryOutcome } from "./outcomes";

export interface FailedRecord {
  readonly record: DecodedRecord;
  readonly failure: DeadLetterFailure;
}

/** Dead letters whose envelopes are in the archive, waiting for their DLQ copy and index item. */
export interface ArchivedLetter {
  readonly record: DecodedRecord;
  readonly envelope: DeadLetterEnvelope;
  /** Zero-based line of the envelope in its archive object. */
  readonly line: number;
}

export type ArchiveResult =
  | {
      readonly ok: true;
      readonly letters: readonly ArchivedLetter[];
      /**
       * Whether an earlier delivery stored exactly these letters (see {@link DeadLetterWriter.publish}),
       * asked while the archive object was written; for a publish of all of them.
       */
      readonly storedBefore: Promise<IndexedBefore | undefined>;
    }
  | { readonly ok: false; readonly outcomes: readonly RecordOutcome[] };

export interface DeadLetterRoute {
  readonly topic: string;
  readonly partition: number;
  readonly dlqTopic: string;
}

export interface DeadLetterWriterOptions {
  readonly archive: DeadLetterArchive;
  readonly index: DeadLetterIndex | undefined;
  readonly sender: OrderedSender;
  readonly logger: ProcessorLogger;
  readonly archivePrefix: string;
  readonly maxErrorMessageLength: number;
  readonly retryPolicy: RetryPolicy;
  readonly now: () => number;
}

/**
 * Writes dead letters to their three sinks, in the order that keeps them consistent: the S3
 * archive first, then the DLQ topic, then the index. Each names what the one before stored (the
 * DLQ message its archive key, the index item its DLQ offset), so a failure part way never leaves a
 * DLQ message pointing at an archive object that was never written. A dead letter counts only once
 * every sink has it; otherwise it is reported for retry, never acknowledged.
 */
export class DeadLetterWriter {
  constructor(private readonly options: DeadLetterWriterOptions) {}

  /** All three sinks for these records: used where nothing must wait between the writes. */
  async deadLetter(
    route: DeadLetterRoute,
    failed: readonly FailedRecord[],
    run: InvocationRun,
  ): Promise<RecordOutcome[]> {
    if (failed.length === 0) return [];
    const archived = await this.archive(route, failed, run);
    return archived.ok
      ? this.publish(route, archived.letters, run, archived.storedBefore)
      : [...archived.outcomes];
  }

  /** One archive object for the records (a deterministic key: a retried invocation overwrites it). */
  async archive(
    route: DeadLetterRoute,
    failed: readonly FailedRecord[],
    run: InvocationRun,
  ): Promise<ArchiveResult> {
    const archiveKey = archiveObjectKey(
      this.options.archivePrefix,
      failed.map((f) => f.record),
    );
    const context = {
      invocation: run.invocation,
      cluster: run.cluster,
      dlqTopic: route.dlqTopic,
      archiveKey,
      failedAt: new Date(this.options.now()),
      maxErrorMessageLength: this.options.maxErrorMessageLength,
    };
    const envelopes = failed.map((f) => buildDeadLetterEnvelope(f.record, f.failure, context));
    const letters = failed.map((f, line) => ({
      record: f.record,
      envelope: envelopes[line] as DeadLetterEnvelope,
      line,
    }));
    // Asked now, so a first delivery's publish does not wait for it: the read overlaps the put.
    const index = this.options.index;
    const storedBefore =
      index === undefined ? Promise.resolve(undefined) : this.indexedBefore(index, letters, run);
    try {
      await this.attempt(run, () => this.options.archive.put(archiveKey, envelopes));
    } catch (giveUp) {
      return {
        ok: false,
        outcomes: this.writeFailed(
          route,
          failed.map((f) => f.record),
          "archive",
          giveUp,
          run,
        ),
      };
    }
    return { ok: true, letters, storedBefore };
  }

  /**
   * The DLQ copies (in requests under the broker's limit) and then the index items of archived
   * dead letters. A copy the DLQ topic refuses for good (bigger than its `max.message.bytes` once
   * the `x-dlq-*` headers are added) is recorded as absent in the index, with the reason: the
   * archive then holds the only copy, and the partition is not blocked by a record that can never fit.
   *
   * A redelivery of dead letters an earlier delivery stored in every sink (the index says so) writes
   * neither again: their DLQ copies are there, so a redelivered storm of 3,000 sends none, where it
   * sent 3,000 duplicates before. `storedBefore` is the archive's answer for exactly these letters,
   * asked while it wrote them; without it the index is asked now.
   */
  async publish(
    route: DeadLetterRoute,
    letters: readonly ArchivedLetter[],
    run: InvocationRun,
    storedBefore?: Promise<IndexedBefore | undefined>,
  ): Promise<RecordOutcome[]> {
    if (letters.length === 0) return [];
    const index = this.options.index;
    const before =
      index === undefined ? undefined : await (storedBefore ?? this.indexedBefore(index, letters, run));
    if (before?.indexed === true) return this.alreadyStored(route, letters);
    const lookup = index === undefined ? undefined : this.lookAhead(index, letters, run, before?.known);
    const messages = letters.map((l) => buildDeadLetterMessage(l.record, l.envelope));
    const statuses = await this.options.sender.send(route.dlqTopic, messages, run, {
      stopAtFirstProblem: false,
    });

    const outcomes: RecordOutcome[] = [];
    const entries: DeadLetterIndexEntry[] = [];
    const indexed: ArchivedLetter[] = [];
    letters.forEach((letter, i) => {
      const status = statuses[i];
      if (status?.kind === "sent" || status?.kind === "rejected") {
        entries.push({
          envelope: letter.envelope,
          archiveLine: letter.line,
          dlq: status.kind === "sent" ? status.receipt : undefined,
          ...(status.kind === "rejected" ? { dlqAbsentReason: status.error.message } : {}),
          redriveCount: redriveCountOf(letter.record),
        });
        indexed.push(letter);
        return;
      }
      const reason = status?.kind === "failed" ? status.reason : "an earlier DLQ write failed";
      outcomes.push(...this.writeFailed(route, [letter.record], "topic", new Error(reason), run));
    });

    if (index !== undefined && entries.length > 0) {
      // The look-ahead serves the first attempt only: a retry after a partial write reads again.
      let lookedUp = await lookup;
      try {
        await this.attempt(run, () => {
          const known = lookedUp;
          lookedUp = undefined;
          return index.record(entries, known);
        });
      } catch (giveUp) {
        outcomes.push(
          ...this.writeFailed(
            route,
            indexed.map((l) => l.record),
            "index",
            giveUp,
            run,
          ),
        );
        return outcomes;
      }
    }
    for (const entry of entries) {
      if (entry.dlq === undefined) {
        run.counters.dlqCopiesAbsent += 1;
        this.options.logger.error(
          "dead letter too large for the DLQ topic; kept in the archive and the index",
          {
            recordId: entry.envelope.id,
            dlqTopic: route.dlqTopic,
            archiveKey: entry.envelope.archiveKey,
            reason: entry.dlqAbsentReason,
          },
        );
      }
    }
    this.logDeadLettered(route, indexed);
    for (const letter of indexed) outcomes.push(deadLettered(route, letter));
    return outcomes;
  }

  /**
   * Starts the index's read of what it holds of these letters, to run while their DLQ copies are
   * sent. One attempt, not retried, and not waited for past the invocation's deadline: a failed
   * read is no failure of the dead letters, `record` then reads for itself (with the retries of any
   * index write).
   */
  private lookAhead(
    index: DeadLetterIndex,
    letters: readonly ArchivedLetter[],
    run: InvocationRun,
    known: DeadLetterIndexLookup | undefined,
  ): Promise<DeadLetterIndexLookup | undefined> | undefined {
    if (index.lookup === undefined) return undefined;
    const { deadline, now } = run.retryEnv;
    return withDeadline(index.lookup(indexLetters(letters), known), deadline - now()).catch(() => undefined);
  }

  /**
   * Asks the index whether an earlier delivery stored these dead letters (one read, of the markers
   * of their archive object). One attempt, not waited for past the deadline: a check that fails is
   * no failure of the dead letters, which then take the full path.
   */
  private indexedBefore(
    index: DeadLetterIndex,
    letters: readonly ArchivedLetter[],
    run: InvocationRun,
  ): Promise<IndexedBefore | undefined> {
    if (index.indexedBefore === undefined) return Promise.resolve(undefined);
    const { deadline, now } = run.retryEnv;
    return withDeadline(index.indexedBefore(indexLetters(letters)), deadline - now()).catch(() => undefined);
  }

  /** Dead letters already in every sink: acknowledged as such, with one `info` line and no write. */
  private alreadyStored(route: DeadLetterRoute, letters: readonly ArchivedLetter[]): RecordOutcome[] {
    const offsets = letters.map((l) => l.record.offset);
    this.options.logger.info("dead letters stored by an earlier delivery; nothing written again", {
      topic: route.topic,
      partition: route.partition,
      dlqTopic: route.dlqTopic,
      archiveKey: letters[0]?.envelope.archiveKey,
      count: letters.length,
      fromOffset: Math.min(...offsets),
      toOffset: Math.max(...offsets),
    });
    return letters.map((letter) => deadLettered(route, letter));
  }

  /**
   * One `warn` line per failure (stage, error class and message) and archive object, naming every
   * dead letter it covers (offsets and ids, in order), cut at {@link LETTERS_PER_LOG_LINE}. A storm
   * of 3,000 records that fail alike is 12 lines, not 3,000: the per-line cost (the logger's
   * context and formatting, a write to stdout) was a fifth of the function's CPU per dead letter.
   */
  private logDeadLettered(route: DeadLetterRoute, letters: readonly ArchivedLetter[]): void {
    const alike = new Map<string, ArchivedLetter[]>();
    for (const letter of letters) {
      const { error, archiveKey } = letter.envelope;
      const key = JSON.stringify([error.stage, error.class, error.message, archiveKey]);
      const group = alike.get(key) ?? [];
      alike.set(key, group);
      group.push(letter);
    }
    for (const group of alike.values()) {
      const { envelope } = group[0] as ArchivedLetter;
      for (let start = 0; start < group.length; start += LETTERS_PER_LOG_LINE) {
        const part = group.slice(start, start + LETTERS_PER_LOG_LINE);
        this.options.logger.warn("records dead-lettered", {
          topic: route.topic,
          partition: route.partition,
          stage: envelope.error.stage,
          errorClass: envelope.error.class,
          errorMessage: envelope.error.message,
          dlqTopic: route.dlqTopic,
          archiveKey: envelope.archiveKey,
          count: part.length,
          offsets: part.map((l) => l.record.offset),
          recordIds: part.map((l) => l.envelope.id),
        });
      }
    }
  }

  private writeFailed(
    route: DeadLetterRoute,
    records: readonly DecodedRecord[],
    sink: DeadLetterSinkName,
    giveUp: unknown,
    run: InvocationRun,
  ): RecordOutcome[] {
    const error = new DeadLetterWriteError(sink, giveUp instanceof RetryGiveUp ? giveUp.lastError : giveUp);
    run.counters.deadLetterWriteFailures += records.length;
    this.options.logger.error("dead-letter write failed; records reported for retry", {
      topic: route.topic,
      partition: route.partition,
      offsets: records.map((r) => r.offset),
      dlqTopic: route.dlqTopic,
      error: error.message,
    });
    return records.map((r) => retryOutcome(r, error.message, errorClassName(error), false));
  }

  private attempt<T>(run: InvocationRun, write: () => Promise<T>) {
    return retryWithBackoff(write, this.options.retryPolicy, run.retryEnv);
  }
}

/**
 * Dead letters named per log line: an offset and an id are about 60 bytes, so a line stays near
 * 15 KB, far inside CloudWatch Logs' limit per event
 * (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html).
 */
const LETTERS_PER_LOG_LINE = 250;

function indexLetters(letters: readonly ArchivedLetter[]): DeadLetterIndexLetter[] {
  return letters.map((l) => ({ envelope: l.envelope, archiveLine: l.line }));
}

function deadLettered(route: DeadLetterRoute, letter: ArchivedLetter): RecordOutcome {
  const { envelope, record } = letter;
  return {
    kind: OUTCOMES.deadLettered,
    record,
    stage: envelope.error.stage,
    errorClass: envelope.error.class,
    archiveKey: envelope.archiveKey,
    dlqTopic: route.dlqTopic,
  };
}

function redriveCountOf(record: DecodedRecord): number {
  const header = record.headers.find((h) => h.name === REDRIVE_HEADERS.count);
  const count = header === undefined ? 0 : Number.parseInt(header.value.toString("utf8"), 10);
  return Number.isSafeInteger(count) && count > 0 ? count : 0;
}
