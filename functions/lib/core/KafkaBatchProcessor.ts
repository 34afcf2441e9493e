import type { FailureKeyName, TopicOverride } from "../config";
import { buildBatchResponse } from "./batchResponse";
import { groupKafkaEvent } from "./decodeEvent";
import { BatchRetryError, type FailureStage, PipelineError } from "./errors";
import { defaultDlqTopic, type Pipeline } from "./pipeline";
import {
  type AttemptLedger,
  type DeadLetterArchive,
  type DeadLetterIndex,
  type MessageSink,
  type ProcessorLogger,
  type ProducedRecordStore,
  silentLogger,
} from "./ports";
import { DeadLetterWriter } from "./processing/DeadLetterWriter";
import type { InvocationRun } from "./processing/InvocationRun";
import { OrderedSender } from "./processing/OrderedSender";
import { PartitionProcessor, type PartitionRoute } from "./processing/PartitionProcessor";
import { planPartition, UNROUTABLE_POLICIES, type UnroutablePolicy } from "./processing/planPartition";
import { clusterIdentity } from "./recordIdentity";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry";
import { type KafkaBatchResponse, OUTCOMES, type RecordOutcome, type RetryOutcome } from "./types";

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
  /**
   * Bytes per produce request (target and DLQ), under the brokers' `max.message.bytes` (1 MB by
   * default on Apache Kafka and MSK). @default 900_000
   */
  readonly maxRequestBytes?: number;
  /** Records of a topic no pipeline is declared for. @default "retry" */
  readonly unroutable?: UnroutablePolicy;
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
  /** Dead letters the DLQ topic refused for good: in the archive and the index only. */
  readonly dlqCopiesAbsent: number;
  readonly durationMs: number;
}

export interface BatchResult {
  readonly outcomes: readonly RecordOutcome[];
  readonly response: KafkaBatchResponse;
  readonly stats: BatchStats;
}

interface Route extends PartitionRoute {
  readonly pipeline: Pipeline | undefined;
}

/**
 * Runs a Kafka batch through its pipelines and decides, for every record, exactly one outcome:
 * produced to the target topic, dead-lettered (S3 archive, DLQ topic and index), or reported for
 * retry.
 *
 * A record is only counted as done once it is durably written: the target write, or every
 * dead-letter write, acknowledged. Partitions are processed concurrently; within a partition
 * (ordered mode, the default) nothing after a record that is not done reaches the target or the
 * DLQ topic (see {@link PartitionProcessor}).
 *
 * @example
 * const processor = new KafkaBatchProcessor({ pipelines: [employees], sink, archive });
 * const { response } = await processor.process(event, context);
 */
export class KafkaBatchProcessor {
  private readonly routes = new Map<string, Route>();
  private readonly failureKeyName: FailureKeyName;
  private readonly maxOutputRecordBytes: number;
  private readonly deadlineSafetyMs: number;
  private readonly unroutable: UnroutablePolicy;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly partitions: PartitionProcessor;

  constructor(private readonly options: KafkaBatchProcessorOptions) {
    const logger = options.logger ?? silentLogger;
    this.failureKeyName = options.failureKeyName ?? "partition";
    this.maxOutputRecordBytes = options.maxOutputRecordBytes ?? 1_000_000;
    this.deadlineSafetyMs = options.deadlineSafetyMs ?? 2_000;
    this.unroutable = options.unroutable ?? UNROUTABLE_POLICIES.retry;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    const retryPolicy = options.retryPolicy ?? DEFAULT_RETRY_POLICY;
    const sender = new OrderedSender(options.sink, retryPolicy, options.maxRequestBytes ?? 900_000);
    this.partitions = new PartitionProcessor({
      sender,
      deadLetters: new DeadLetterWriter({
        archive: options.archive,
        index: options.index,
        sender,
        logger,
        archivePrefix: options.archivePrefix ?? "dead-letters",
        maxErrorMessageLength: options.maxErrorMessageLength ?? 1024,
        retryPolicy,
        now: this.now,
      }),
      ledger: options.attempts,
      idempotency: options.idempotency,
      logger,
      ordered: options.ordered ?? true,
      // The failed attempts used the invocation's time up to the deadline; the last bookkeeping
      // writes may use half of the safety margin, which exists for exactly that.
      finalWriteGraceMs: this.deadlineSafetyMs / 2,
    });
    const overrides = options.topicOverrides ?? {};
    for (const pipeline of options.pipelines) {
      if (this.routes.has(pipeline.sourceTopic)) {
        throw new PipelineError(`two pipelines are declared for source topic "${pipeline.sourceTopic}"`);
      }
      const override = overrides[pipeline.sourceTopic];
      this.routes.set(pipeline.sourceTopic, {
        pipeline,
        topic: pipeline.sourceTopic,
        partition: -1,
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
    const batch = groupKafkaEvent(event);
    const run: InvocationRun = {
      invocation: {
        functionName: context.functionName,
        functionVersion: context.functionVersion,
        requestId: context.awsRequestId,
        eventSource: batch.eventSource,
        eventSourceArn: batch.eventSourceArn,
      },
      cluster: clusterIdentity(batch.eventSourceArn, batch.bootstrapServers),
      retryEnv: {
        deadline: started + context.getRemainingTimeInMillis() - this.deadlineSafetyMs,
        now: this.now,
        sleep: this.sleep,
        random: this.random,
      },
      counters: { deadLetterWriteFailures: 0, dlqCopiesAbsent: 0 },
    };

    const perPartition = await Promise.all(
      batch.partitions.map(async (partition) => {
        const route = { ...this.routeFor(partition.topic), partition: partition.partition };
        const plan = await planPartition(partition, {
          pipeline: route.pipeline,
          unroutable: this.unroutable,
          maxOutputRecordBytes: this.maxOutputRecordBytes,
          run,
        });
        return this.partitions.process(partition, route, plan, run);
      }),
    );
    const outcomes = perPartition.flat();
    const response = buildBatchResponse(batch.partitions, outcomes, this.failureKeyName);
    return { outcomes, response, stats: this.statsOf(outcomes, run, this.now() - started) };
  }

  private routeFor(topic: string): Route {
    const known = this.routes.get(topic);
    if (known !== undefined) return known;
    const override = this.options.topicOverrides?.[topic];
    return {
      pipeline: undefined,
      topic,
      partition: -1,
      targetTopic: "",
      dlqTopic: override?.dlq ?? defaultDlqTopic(topic),
    };
  }

  private statsOf(outcomes: readonly RecordOutcome[], run: InvocationRun, durationMs: number): BatchStats {
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
      dlqCopiesAbsent: run.counters.dlqCopiesAbsent,
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
