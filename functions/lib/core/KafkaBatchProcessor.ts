import type { FailureKeyName, TopicOverride } from "../config";
import { buildBatchResponse, enforcePartitionOrder } from "./batchResponse";
import {
  archiveObjectKey,
  buildDeadLetterEnvelope,
  buildDeadLetterMessage,
  type DeadLetterEnvelope,
  type DeadLetterFailure,
  deadLetterId,
} from "./deadLetter";
import { type DecodedPartition, type DecodedRecord, decodeKafkaEvent } from "./decodeEvent";
import {
  BatchRetryError,
  type DeadLetterSinkName,
  DeadLetterWriteError,
  describeCause,
  errorClassName,
  FAILURE_STAGES,
  type FailureStage,
  PipelineError,
  ProduceRejectedError,
  RecordError,
  RecordTooLargeError,
  RetriesExhaustedError,
  UnroutableRecordError,
} from "./errors";
import { LINEAGE_HEADER_PREFIX, LINEAGE_HEADERS, REDRIVE_HEADERS } from "./headers";
import { defaultDlqTopic, type Pipeline, type PreparedRecord } from "./pipeline";
import {
  type AttemptLedger,
  type DeadLetterArchive,
  type DeadLetterIndex,
  type DeliveryReceipt,
  type MessageSink,
  type ProcessorLogger,
  type ProducedRecordStore,
  silentLogger,
} from "./ports";
import {
  DEFAULT_RETRY_POLICY,
  type RetryEnvironment,
  RetryGiveUp,
  type RetryPolicy,
  retryWithBackoff,
} from "./retry";
import {
  type InvocationInfo,
  type KafkaBatchResponse,
  OUTCOMES,
  type OutgoingMessage,
  type RecordHeader,
  type RecordOutcome,
  type RetryOutcome,
} from "./types";

export interface KafkaBatchProcessorOptions {
  /** One pipeline per source topic. */
  readonly pipelines: readonly Pipeline[];
  /** Producer for target and DLQ topics. */
  readonly sink: MessageSink;
  readonly archive: DeadLetterArchive;
  /** Queryable index of dead letters; when set, a dead letter counts only once it is indexed too. */
  readonly index?: DeadLetterIndex;
  /**
   * Dead-letters a record (stage `retries-exhausted`) once it has failed transiently this many
   * times across invocations, so it cannot block its partition until the record expires.
   */
  readonly attempts?: { readonly ledger: AttemptLedger; readonly maxTransientFailures: number };
  /** Skips records already written to their target topic when Lambda redelivers them. */
  readonly idempotency?: ProducedRecordStore;
  readonly logger?: ProcessorLogger;
  /** @default "dead-letters" */
  readonly archivePrefix?: string;
  /** Stop each partition at its first record that must be retried. @default true */
  readonly ordered?: boolean;
  /** @default "partition" */
  readonly failureKeyName?: FailureKeyName;
  /** @default 1024 */
  readonly maxErrorMessageLength?: number;
  /** Transformed key plus value above this many bytes is dead-lettered (stage produce). @default 1_000_000 */
  readonly maxOutputRecordBytes?: number;
  /** Kept back from the invocation deadline to report in time. @default 2_000 */
  readonly deadlineSafetyMs?: number;
  /** Target and DLQ topic names that replace the pipelines' own, per source topic. */
  readonly topicOverrides?: Readonly<Record<string, TopicOverride>>;
  readonly retryPolicy?: RetryPolicy;
  /** Injected for tests. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** The parts of the Lambda context the processor reads. */
export interface InvocationContext {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly awsRequestId: string;
  getRemainingTimeInMillis(): number;
}

export interface BatchStats {
  readonly received: number;
  readonly produced: number;
  readonly deadLettered: number;
  readonly deadLetteredByStage: Readonly<Partial<Record<FailureStage, number>>>;
  readonly retried: number;
  /** Records whose dead-letter write (topic or archive) failed; they were reported for retry. */
  readonly deadLetterWriteFailures: number;
  readonly durationMs: number;
}

export interface BatchResult {
  readonly outcomes: readonly RecordOutcome[];
  readonly response: KafkaBatchResponse;
  readonly stats: BatchStats;
}

interface Route {
  readonly pipeline: Pipeline | undefined;
  readonly targetTopic: string;
  readonly dlqTopic: string;
}

/** State of one invocation, so the processor itself stays reusable across invocations. */
interface Run {
  readonly invocation: InvocationInfo;
  readonly retryEnv: RetryEnvironment;
  /** Shared by reference, so a copy of the run with another deadline still counts here. */
  readonly counters: { deadLetterWriteFailures: number };
}

interface PartitionLineage {
  readonly topic: RecordHeader;
  readonly partition: RecordHeader;
  readonly processedBy: RecordHeader;
}

interface FailedRecord {
  readonly record: DecodedRecord;
  readonly failure: DeadLetterFailure;
}

/**
 * Runs a Kafka batch through its pipelines and decides, for every record, exactly one outcome:
 * produced to the target topic, dead-lettered (DLQ topic and S3 archive), or reported for retry.
 *
 * A record is only counted as done once it is durably written: the target write, or every
 * dead-letter write, acknowledged. Partitions are processed concurrently; within a partition the
 * dead letters are written first (records before the partition's first failure meanwhile), so that
 * a failed dead-letter write can stop the partition (ordered mode) before any later record reaches
 * the target topic.
 *
 * @example
 * const processor = new KafkaBatchProcessor({ pipelines: [employees], sink, archive });
 * const { response } = await processor.process(event, context);
 */
export class KafkaBatchProcessor {
  private readonly routes = new Map<string, Route>();
  private readonly logger: ProcessorLogger;
  private readonly ordered: boolean;
  private readonly failureKeyName: FailureKeyName;
  private readonly archivePrefix: string;
  private readonly maxErrorMessageLength: number;
  private readonly maxOutputRecordBytes: number;
  private readonly deadlineSafetyMs: number;
  private readonly retryPolicy: RetryPolicy;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(private readonly options: KafkaBatchProcessorOptions) {
    this.logger = options.logger ?? silentLogger;
    this.ordered = options.ordered ?? true;
    this.failureKeyName = options.failureKeyName ?? "partition";
    this.archivePrefix = options.archivePrefix ?? "dead-letters";
    this.maxErrorMessageLength = options.maxErrorMessageLength ?? 1024;
    this.maxOutputRecordBytes = options.maxOutputRecordBytes ?? 1_000_000;
    this.deadlineSafetyMs = options.deadlineSafetyMs ?? 2_000;
    this.retryPolicy = options.retryPolicy ?? DEFAULT_RETRY_POLICY;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    const overrides = options.topicOverrides ?? {};
    for (const pipeline of options.pipelines) {
      if (this.routes.has(pipeline.sourceTopic)) {
        throw new PipelineError(`two pipelines are declared for source topic "${pipeline.sourceTopic}"`);
      }
      const override = overrides[pipeline.sourceTopic];
      this.routes.set(pipeline.sourceTopic, {
        pipeline,
        targetTopic: override?.target ?? pipeline.targetTopic,
        dlqTopic: override?.dlq ?? pipeline.dlqTopic,
      });
    }
  }

  /** The topics this processor consumes, produces to and dead-letters to. */
  get topics(): { source: string[]; target: string[]; dlq: string[] } {
    const routes = [...this.routes.entries()];
    return {
      source: routes.map(([source]) => source),
      target: routes.map(([, route]) => route.targetTopic),
      dlq: routes.map(([, route]) => route.dlqTopic),
    };
  }

  /**
   * Processes one invocation's event.
   *
   * @throws {MalformedEventError} when the event is not a Kafka event (the whole batch is retried).
   */
  async process(event: unknown, context: InvocationContext): Promise<BatchResult> {
    const started = this.now();
    const batch = decodeKafkaEvent(event);
    const run: Run = {
      invocation: {
        functionName: context.functionName,
        functionVersion: context.functionVersion,
        requestId: context.awsRequestId,
        eventSource: batch.eventSource,
        eventSourceArn: batch.eventSourceArn,
      },
      retryEnv: {
        deadline: started + context.getRemainingTimeInMillis() - this.deadlineSafetyMs,
        now: this.now,
        sleep: this.sleep,
        random: this.random,
      },
      counters: { deadLetterWriteFailures: 0 },
    };

    const perPartition = await Promise.all(batch.partitions.map((p) => this.processPartition(p, run)));
    const outcomes = perPartition.flat();
    const response = buildBatchResponse(batch.partitions, outcomes, this.failureKeyName);
    return { outcomes, response, stats: this.statsOf(outcomes, run, this.now() - started) };
  }

  private async processPartition(partition: DecodedPartition, run: Run): Promise<RecordOutcome[]> {
    const route = this.routeFor(partition.topic);
    const prepared = await this.prepareAll(partition.records, route);

    const failed: FailedRecord[] = [];
    const ready: { record: DecodedRecord; message: OutgoingMessage }[] = [];
    // Headers every output of this partition shares, built once rather than per record.
    const lineage: PartitionLineage = {
      topic: { name: LINEAGE_HEADERS.sourceTopic, value: Buffer.from(partition.topic) },
      partition: { name: LINEAGE_HEADERS.sourcePartition, value: Buffer.from(String(partition.partition)) },
      processedBy: { name: LINEAGE_HEADERS.processedBy, value: Buffer.from(run.invocation.functionName) },
    };
    prepared.forEach((result, i) => {
      const record = partition.records[i] as DecodedRecord;
      if (result.ok) ready.push({ record, message: this.outputMessage(record, result.value, lineage) });
      else failed.push({ record, failure: { stage: result.error.stage, error: result.error, attempts: 1 } });
    });

    // Records before the partition's first failure cannot be overtaken by anything, so they are
    // produced while the dead letters are written; the rest wait for the dead-letter outcome.
    const firstFailure = this.ordered
      ? (failed[0]?.record.offset ?? Number.POSITIVE_INFINITY)
      : Number.POSITIVE_INFINITY;
    const [deadLettered, early] = await Promise.all([
      this.deadLetter(partition, failed, route, run),
      this.produce(
        route.targetTopic,
        ready.filter((r) => r.record.offset < firstFailure),
        run,
      ),
    ]);
    const outcomes: RecordOutcome[] = [...deadLettered, ...early.outcomes];
    const cutoff = this.ordered ? lowestRetryOffset(outcomes) : Number.POSITIVE_INFINITY;
    const waiting = ready.filter((r) => r.record.offset >= firstFailure);
    for (const blocked of waiting.filter((r) => r.record.offset >= cutoff)) {
      outcomes.push(
        retryOutcome(blocked.record, `waits for offset ${cutoff} of its partition`, "PartitionBlocked"),
      );
    }

    const late = await this.produce(
      route.targetTopic,
      waiting.filter((r) => r.record.offset < cutoff),
      run,
    );
    outcomes.push(...late.outcomes);
    outcomes.push(...(await this.deadLetter(partition, [...early.rejected, ...late.rejected], route, run)));

    outcomes.sort((a, b) => a.record.offset - b.record.offset);
    const settled = await this.giveUpOnRepeatedFailure(
      partition,
      route,
      this.ordered ? enforcePartitionOrder(outcomes) : outcomes,
      run,
    );
    this.logRetries(partition, settled);
    return settled;
  }

  /**
   * Counts the failure of the record that blocks its partition (Lambda resumes there) and, once it
   * has failed transiently too often, dead-letters it as `retries-exhausted`. The ledger is advisory:
   * when it cannot be reached the record is simply reported for retry again.
   */
  private async giveUpOnRepeatedFailure(
    partition: DecodedPartition,
    route: Route,
    outcomes: RecordOutcome[],
    run: Run,
  ): Promise<RecordOutcome[]> {
    const ledger = this.options.attempts;
    const index = outcomes.findIndex((o) => o.kind === OUTCOMES.retry);
    const blocking = outcomes[index];
    if (ledger === undefined || blocking?.kind !== OUTCOMES.retry) return outcomes;
    if (blocking.errorClass === "PartitionBlocked" || blocking.errorClass === DeadLetterWriteError.name)
      return outcomes;

    const id = deadLetterId(blocking.record.topic, blocking.record.partition, blocking.record.offset);
    let attempts: number;
    try {
      attempts = await ledger.ledger.recordTransientFailure(id, blocking.reason);
    } catch (error) {
      this.logger.warn("attempt ledger unavailable; record reported for retry", {
        recordId: id,
        error: describeCause(error),
      });
      return outcomes;
    }
    if (attempts < ledger.maxTransientFailures) return outcomes;

    const exhausted = new RetriesExhaustedError(attempts, blocking.reason);
    const record = blocking.record as DecodedRecord;
    // The failed attempts used the invocation's time up to the deadline; this last write may use
    // half of the safety margin, which exists for exactly such final bookkeeping.
    const finalRun = {
      ...run,
      retryEnv: { ...run.retryEnv, deadline: run.retryEnv.deadline + this.deadlineSafetyMs / 2 },
    };
    const [outcome] = await this.deadLetter(
      partition,
      [{ record, failure: { stage: exhausted.stage, error: exhausted, attempts } }],
      route,
      finalRun,
    );
    const replaced = [...outcomes];
    if (outcome !== undefined) replaced[index] = outcome;
    return replaced;
  }

  private routeFor(topic: string): Route {
    const known = this.routes.get(topic);
    if (known !== undefined) return known;
    const override = this.options.topicOverrides?.[topic];
    return { pipeline: undefined, targetTopic: "", dlqTopic: override?.dlq ?? defaultDlqTopic(topic) };
  }

  /** Pure record logic, synchronous unless the schema or transform is async. */
  private async prepareAll(records: readonly DecodedRecord[], route: Route): Promise<PreparedRecord[]> {
    const { pipeline } = route;
    let pending = false;
    const results = records.map((record): PreparedRecord | Promise<PreparedRecord> => {
      if (record.decodeError !== undefined) return { ok: false, error: record.decodeError };
      if (pipeline === undefined) return { ok: false, error: new UnroutableRecordError(record.topic) };
      const result = pipeline.prepare(record);
      if (result instanceof Promise) {
        pending = true;
        return result.then((r) => this.checkSize(record, r));
      }
      return this.checkSize(record, result);
    });
    return pending ? Promise.all(results) : (results as PreparedRecord[]);
  }

  private checkSize(record: DecodedRecord, result: PreparedRecord): PreparedRecord {
    if (!result.ok) return result;
    const bytes = (record.key?.length ?? 0) + (result.value?.length ?? 0);
    return bytes > this.maxOutputRecordBytes
      ? { ok: false, error: new RecordTooLargeError(bytes, this.maxOutputRecordBytes) }
      : result;
  }

  private outputMessage(
    record: DecodedRecord,
    value: Buffer | null,
    lineage: PartitionLineage,
  ): OutgoingMessage {
    const headers = record.headers.filter((h) => !h.name.startsWith(LINEAGE_HEADER_PREFIX));
    headers.push(
      lineage.topic,
      lineage.partition,
      { name: LINEAGE_HEADERS.sourceOffset, value: Buffer.from(String(record.offset)) },
      lineage.processedBy,
    );
    return { key: record.key, value, headers };
  }

  /**
   * Dead-letters failed records: a record whose dead letter is not durably in every sink (archive,
   * DLQ topic, and the index when there is one) is reported for retry, never acknowledged.
   */
  private async deadLetter(
    partition: DecodedPartition,
    failed: readonly FailedRecord[],
    route: Route,
    run: Run,
  ): Promise<RecordOutcome[]> {
    if (failed.length === 0) return [];
    const archiveKey = archiveObjectKey(
      this.archivePrefix,
      failed.map((f) => f.record),
    );
    const context = {
      invocation: run.invocation,
      dlqTopic: route.dlqTopic,
      archiveKey,
      failedAt: new Date(this.now()),
      maxErrorMessageLength: this.maxErrorMessageLength,
    };
    const envelopes: DeadLetterEnvelope[] = failed.map((f) =>
      buildDeadLetterEnvelope(f.record, f.failure, context),
    );
    const messages = failed.map((f, i) =>
      buildDeadLetterMessage(f.record, envelopes[i] as DeadLetterEnvelope),
    );

    const writeError = await this.writeDeadLetters(
      route.dlqTopic,
      archiveKey,
      envelopes,
      messages,
      failed,
      run,
    );
    if (writeError !== undefined) {
      run.counters.deadLetterWriteFailures += failed.length;
      this.logger.error("dead-letter write failed; records reported for retry", {
        topic: partition.topic,
        partition: partition.partition,
        offsets: failed.map((f) => f.record.offset),
        dlqTopic: route.dlqTopic,
        archiveKey,
        error: writeError.message,
      });
      return failed.map((f) => retryOutcome(f.record, writeError.message, errorClassName(writeError)));
    }

    return failed.map((f, i) => {
      const envelope = envelopes[i] as DeadLetterEnvelope;
      this.logger.warn("record dead-lettered", {
        topic: f.record.topic,
        partition: f.record.partition,
        offset: f.record.offset,
        stage: envelope.error.stage,
        errorClass: envelope.error.class,
        errorMessage: envelope.error.message,
        dlqTopic: route.dlqTopic,
        archiveKey,
      });
      return {
        kind: OUTCOMES.deadLettered,
        record: f.record,
        stage: envelope.error.stage,
        errorClass: envelope.error.class,
        archiveKey,
        dlqTopic: route.dlqTopic,
      };
    });
  }

  /**
   * The archive first, then the DLQ topic, then the index: each later write names what the earlier
   * one stored (the DLQ message its archive key, the index item its DLQ offset), so a failure part
   * way never leaves a DLQ message pointing at an archive object that was never written. S3 is also
   * the sink most likely to fail; when it does, nothing else was written twice.
   */
  private async writeDeadLetters(
    dlqTopic: string,
    archiveKey: string,
    envelopes: readonly DeadLetterEnvelope[],
    messages: readonly OutgoingMessage[],
    failed: readonly FailedRecord[],
    run: Run,
  ): Promise<DeadLetterWriteError | undefined> {
    const attempt = <T>(write: () => Promise<T>) => retryWithBackoff(write, this.retryPolicy, run.retryEnv);
    try {
      await attempt(() => this.options.archive.put(archiveKey, envelopes));
    } catch (giveUp) {
      return deadLetterWriteError("archive", giveUp);
    }
    let receipts: readonly DeliveryReceipt[];
    try {
      receipts = (await attempt(() => this.options.sink.send(dlqTopic, messages))).value;
    } catch (giveUp) {
      return deadLetterWriteError("topic", giveUp);
    }
    const index = this.options.index;
    if (index === undefined) return undefined;
    const entries = failed.map((f, i) => ({
      envelope: envelopes[i] as DeadLetterEnvelope,
      archiveLine: i,
      dlq: receipts[i],
      redriveCount: redriveCountOf(f.record),
    }));
    try {
      await attempt(() => index.record(entries));
      return undefined;
    } catch (giveUp) {
      return deadLetterWriteError("index", giveUp);
    }
  }

  /**
   * Produces a partition's ready records in one request. When the broker rejects the request for
   * good (one record too large or invalid), the records are sent one by one to find the culprit,
   * so one bad record does not hold back the good ones.
   */
  private async produce(
    topic: string,
    ready: readonly { record: DecodedRecord; message: OutgoingMessage }[],
    run: Run,
  ): Promise<{ outcomes: RecordOutcome[]; rejected: FailedRecord[] }> {
    if (ready.length === 0) return { outcomes: [], rejected: [] };
    const store = this.options.idempotency;
    if (store === undefined) return this.produceNew(topic, ready, run);

    const ids = ready.map((r) => deadLetterId(r.record.topic, r.record.partition, r.record.offset));
    const done = await store.findProduced(ids).catch((error: unknown) => {
      this.logger.warn("idempotency store unavailable; producing without de-duplication", {
        error: describeCause(error),
      });
      return new Set<string>();
    });
    const fresh = ready.filter((_, i) => !done.has(ids[i] as string));
    const result = await this.produceNew(topic, fresh, run);
    const producedIds = result.outcomes
      .filter((o) => o.kind === OUTCOMES.produced)
      .map((o) => deadLetterId(o.record.topic, o.record.partition, o.record.offset));
    if (producedIds.length > 0) {
      await store.markProduced(producedIds).catch((error: unknown) => {
        this.logger.warn("idempotency store unavailable; records may be produced again on redelivery", {
          error: describeCause(error),
        });
      });
    }
    const skipped = ready
      .filter((_, i) => done.has(ids[i] as string))
      .map((r) => producedOutcome(r.record, topic));
    return { outcomes: [...skipped, ...result.outcomes], rejected: result.rejected };
  }

  private async produceNew(
    topic: string,
    ready: readonly { record: DecodedRecord; message: OutgoingMessage }[],
    run: Run,
  ): Promise<{ outcomes: RecordOutcome[]; rejected: FailedRecord[] }> {
    if (ready.length === 0) return { outcomes: [], rejected: [] };
    const sendAll = (items: typeof ready) =>
      retryWithBackoff(
        () =>
          this.options.sink.send(
            topic,
            items.map((i) => i.message),
          ),
        this.retryPolicy,
        run.retryEnv,
      );
    try {
      await sendAll(ready);
      return { outcomes: ready.map((r) => producedOutcome(r.record, topic)), rejected: [] };
    } catch (giveUp) {
      const cause = giveUpCause(giveUp);
      if (!(cause instanceof ProduceRejectedError) || ready.length === 1) {
        return this.produceFailure(ready, cause, giveUp);
      }
    }

    const outcomes: RecordOutcome[] = [];
    const rejected: FailedRecord[] = [];
    for (const [index, item] of ready.entries()) {
      try {
        await sendAll([item]);
        outcomes.push(producedOutcome(item.record, topic));
      } catch (giveUp) {
        const failure = this.produceFailure([item], giveUpCause(giveUp), giveUp);
        outcomes.push(...failure.outcomes);
        rejected.push(...failure.rejected);
        if (this.ordered && failure.outcomes.length > 0) {
          for (const rest of ready.slice(index + 1)) {
            outcomes.push(
              retryOutcome(rest.record, `waits for offset ${item.record.offset}`, "PartitionBlocked"),
            );
          }
          break;
        }
      }
    }
    return { outcomes, rejected };
  }

  private produceFailure(
    items: readonly { record: DecodedRecord }[],
    cause: unknown,
    giveUp: unknown,
  ): { outcomes: RecordOutcome[]; rejected: FailedRecord[] } {
    const attempts = giveUp instanceof RetryGiveUp ? giveUp.attempts : 1;
    if (cause instanceof RecordError) {
      return {
        outcomes: [],
        rejected: items.map((i) => ({
          record: i.record,
          failure: { stage: FAILURE_STAGES.produce, error: cause, attempts },
        })),
      };
    }
    return {
      outcomes: items.map((i) => retryOutcome(i.record, describeCause(cause), errorClassName(cause))),
      rejected: [],
    };
  }

  private logRetries(partition: DecodedPartition, outcomes: readonly RecordOutcome[]): void {
    const retries = outcomes.filter((o): o is RetryOutcome => o.kind === OUTCOMES.retry);
    const first = retries[0];
    if (first === undefined) return;
    this.logger.warn("records reported for retry", {
      topic: partition.topic,
      partition: partition.partition,
      fromOffset: first.record.offset,
      count: retries.length,
      reason: first.reason,
      errorClass: first.errorClass,
    });
  }

  private statsOf(outcomes: readonly RecordOutcome[], run: Run, durationMs: number): BatchStats {
    let produced = 0;
    let retried = 0;
    const byStage: Partial<Record<FailureStage, number>> = {};
    for (const outcome of outcomes) {
      if (outcome.kind === OUTCOMES.produced) produced += 1;
      else if (outcome.kind === OUTCOMES.retry) retried += 1;
      else byStage[outcome.stage] = (byStage[outcome.stage] ?? 0) + 1;
    }
    return {
      received: outcomes.length,
      produced,
      deadLettered: outcomes.length - produced - retried,
      deadLetteredByStage: byStage,
      retried,
      deadLetterWriteFailures: run.counters.deadLetterWriteFailures,
      durationMs,
    };
  }
}

/**
 * What the Lambda returns: the partial batch response, or a thrown {@link BatchRetryError} when no
 * record of a non-empty batch is done and `throwOnFullBatchFailure` is on, so that the mapping's
 * retry attempts, bisect and on-failure destination take over.
 */
export function settleBatch(result: BatchResult, throwOnFullBatchFailure: boolean): KafkaBatchResponse {
  const { received, retried } = result.stats;
  if (throwOnFullBatchFailure && received > 0 && retried === received) {
    const firstRetry = result.outcomes.find((o): o is RetryOutcome => o.kind === OUTCOMES.retry);
    throw new BatchRetryError(received, firstRetry?.reason);
  }
  return result.response;
}

function lowestRetryOffset(outcomes: readonly RecordOutcome[]): number {
  let lowest = Number.POSITIVE_INFINITY;
  for (const outcome of outcomes) {
    if (outcome.kind === OUTCOMES.retry && outcome.record.offset < lowest) lowest = outcome.record.offset;
  }
  return lowest;
}

function producedOutcome(record: DecodedRecord, targetTopic: string): RecordOutcome {
  return { kind: OUTCOMES.produced, record, targetTopic };
}

function retryOutcome(record: DecodedRecord, reason: string, errorClass: string): RetryOutcome {
  return { kind: OUTCOMES.retry, record, reason, errorClass };
}

function deadLetterWriteError(sink: DeadLetterSinkName, giveUp: unknown): DeadLetterWriteError {
  return new DeadLetterWriteError(sink, giveUpCause(giveUp));
}

function redriveCountOf(record: DecodedRecord): number {
  const header = record.headers.find((h) => h.name === REDRIVE_HEADERS.count);
  const count = header === undefined ? 0 : Number.parseInt(header.value.toString("utf8"), 10);
  return Number.isSafeInteger(count) && count > 0 ? count : 0;
}

function giveUpCause(error: unknown): unknown {
  return error instanceof RetryGiveUp ? error.lastError : error;
}
