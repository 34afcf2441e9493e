import { randomUUID } from "node:crypto";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import type { Consumer, EachBatchPayload, Kafka } from "kafkajs";
import { FAILURE_CONDITIONS, type FailureCondition } from "./constants";
import {
  countWithinPayloadCap,
  type EventEnvelope,
  partitionId,
  serializeInvocationEvent,
  toPolledRecord,
} from "./eventBuilder";
import { explicitPartitioner, KafkaOnFailureDestination } from "./KafkaOnFailureDestination";
import { createKafkaClient } from "./kafkaClient";
import { createLambdaContext, invokeHandler } from "./lambdaContext";
import { consoleLogger } from "./logger";
import { judgeInvocation, planCommits, VERDICT_KINDS } from "./responseRules";
import { decideRetry, retryDelayMs, splitByAge } from "./retryRules";
import { S3OnFailureDestination } from "./S3OnFailureDestination";
import { functionArnOf } from "./settings";
import type {
  EmulatorLogger,
  FailedBatch,
  KafkaConnection,
  KafkaLambdaHandler,
  MappingSettings,
  OnFailureDestination,
  PolledRecord,
} from "./types";

export interface EventSourceMappingEmulatorOptions {
  readonly handler: KafkaLambdaHandler;
  readonly connection: KafkaConnection;
  readonly settings: MappingSettings;
  /** Replaces the destination built from `settings.onFailure` (tests, custom sinks). */
  readonly onFailureDestination?: OnFailureDestination;
  /** S3 client settings for an `s3://` destination; the SDK's defaults otherwise. */
  readonly s3?: S3ClientConfig;
  /**
   * Where a consumer group without committed offsets starts, per partition, instead of the starting
   * position: lets a run read exactly the records it produced.
   */
  readonly initialOffsets?: readonly { topic: string; partition: number; offset: number }[];
  readonly logger?: EmulatorLogger;
  /** Called after every invocation and every fetch with new records. */
  readonly onProgress?: (stats: EmulatorStats) => void;
  /** Injected client (tests); built from `connection` otherwise. */
  readonly kafka?: Kafka;
}

export interface RunLimits {
  /**
   * Stop once nothing is buffered or being retried, nothing arrived for this long, and the broker
   * answered fetches in that time (a broker that is down never counts as idle).
   */
  readonly untilIdleMs?: number;
  /** Stop after this many invocations. */
  readonly maxBatches?: number;
  readonly signal?: AbortSignal;
}

export const STOP_REASONS = {
  idle: "idle",
  maxBatches: "max-batches",
  signal: "signal",
  stopped: "stopped",
} as const;
export type StopReason = (typeof STOP_REASONS)[keyof typeof STOP_REASONS];

/** Counters in the vocabulary of the mapping's metrics (EventCount, ErrorCount). */
export interface EmulatorStats {
  readonly polled: number;
  readonly invocations: number;
  readonly succeeded: number;
  readonly partialResponses: number;
  readonly functionErrors: number;
  readonly timeouts: number;
  readonly invalidResponses: number;
  /** Records delivered again after a partial response or a failed invocation. */
  readonly redeliveredRecords: number;
  readonly bisections: number;
  readonly onFailureRecords: number;
  readonly onFailureBatches: number;
  readonly onFailureDeliveryErrors: number;
  /** Records given up without an on-failure destination (Lambda's `Dropped`). */
  readonly droppedRecords: number;
  /** Records whose offsets are committed. */
  readonly committedRecords: number;
  readonly commitErrors: number;
  /** Records fetched and not yet done. */
  readonly outstanding: number;
}

export interface RunResult {
  readonly reason: StopReason;
  readonly stats: EmulatorStats;
  /** Where the on-failure destination wrote (s3:// keys or kafka:// partitions and offsets). */
  readonly onFailureLocations: readonly string[];
}

/** A fetched record and how many failed invocations it took part in. */
interface Pending {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly record: PolledRecord;
  failedAttempts: number;
}

interface PartitionState {
  readonly id: string;
  readonly topic: string;
  readonly partition: number;
  /** Fetched, not yet invoked, in offset order. */
  buffer: Pending[];
  /** The next offset the broker should hand us; anything below is a re-fetch and is dropped. */
  fetchedUpTo: number | undefined;
  /** First offset fetched in this run: committed records are counted from there. */
  firstFetched: number | undefined;
  committed: number | undefined;
  paused: boolean;
  assigned: boolean;
}

type MutableStats = { -readonly [K in keyof EmulatorStats]: EmulatorStats[K] };

/**
 * A Kafka event source mapping on your machine: polls a real broker, builds the exact invocation
 * event, calls your handler with a Lambda-like context, and applies Lambda's rules to what it
 * returns (partial batch response, retries, bisect, maximum record age, on-failure destination).
 *
 * One poller, one invocation at a time, partitions kept in order. Offsets are committed explicitly,
 * only up to the lowest record that is not done, so stopping at any moment loses nothing.
 *
 * @example
 * const emulator = new EventSourceMappingEmulator({ handler, connection, settings });
 * const { stats } = await emulator.run({ untilIdleMs: 3_000 });
 */
export class EventSourceMappingEmulator {
  private readonly settings: MappingSettings;
  private readonly logger: EmulatorLogger;
  private readonly kafka: Kafka;
  private readonly envelope: EventEnvelope;
  private readonly functionArn: string;
  private readonly partitions = new Map<string, PartitionState>();
  /** Failed batches (or their halves) waiting for another invocation, first one next. */
  private readonly retryQueue: Pending[][] = [];
  /** Units being delivered (invoked, retried after a backoff, or sent to the destination). */
  private readonly inFlight = new Set<readonly Pending[]>();
  private readonly inFlightPartitions = new Set<string>();
  private readonly concurrency: number;
  private windowStart: number | undefined;
  private destination: OnFailureDestination | undefined;
  private consumer: Consumer | undefined;
  private readonly stats: MutableStats = {
    polled: 0,
    invocations: 0,
    succeeded: 0,
    partialResponses: 0,
    functionErrors: 0,
    timeouts: 0,
    invalidResponses: 0,
    redeliveredRecords: 0,
    bisections: 0,
    onFailureRecords: 0,
    onFailureBatches: 0,
    onFailureDeliveryErrors: 0,
    droppedRecords: 0,
    committedRecords: 0,
    commitErrors: 0,
    outstanding: 0,
  };
  private readonly onFailureLocations: string[] = [];
  private readonly seekOnAssignment = new Map<string, number>();
  private readonly maxBufferedPerPartition: number;
  private stopping = false;
  private stopReason: StopReason = STOP_REASONS.stopped;
  private loopDone: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private readonly sleepAborter = new AbortController();
  private committing: Promise<void> | undefined;
  private commitWanted = false;
  private commitFailing = false;
  private lastActivityAt = Date.now();
  private fetchesSinceActivity = 0;
  private rotation = 0;
  private maxBatches = Number.POSITIVE_INFINITY;

  constructor(private readonly options: EventSourceMappingEmulatorOptions) {
    this.settings = options.settings;
    this.logger = options.logger ?? consoleLogger;
    this.kafka = options.kafka ?? createKafkaClient(options.connection, this.logger);
    this.envelope = {
      eventSource: this.settings.eventSource,
      eventSourceArn: this.settings.eventSourceArn,
      bootstrapServers: options.connection.brokers.join(","),
    };
    this.functionArn = functionArnOf(this.settings);
    this.maxBufferedPerPartition = Math.max(this.settings.batchSize * 2, 1_000);
    this.concurrency = this.settings.concurrency;
  }

  /** Current counters. */
  snapshot(): EmulatorStats {
    return { ...this.stats, outstanding: this.outstandingCount() };
  }

  /**
   * Starts polling and returns once a limit is reached or `stop()` is called; offsets of every
   * completed record are committed before it returns.
   */
  async run(limits: RunLimits = {}): Promise<RunResult> {
    this.maxBatches = limits.maxBatches ?? Number.POSITIVE_INFINITY;
    await this.start();
    const onAbort = () => void this.requestStop(STOP_REASONS.signal);
    limits.signal?.addEventListener("abort", onAbort, { once: true });
    if (limits.signal?.aborted) onAbort();
    const idleTimer =
      limits.untilIdleMs === undefined
        ? undefined
        : setInterval(() => {
            if (this.isIdle(limits.untilIdleMs as number)) this.requestStop(STOP_REASONS.idle);
          }, 100);
    // Commits that failed (broker away) are retried even while no batch arrives.
    const commitTimer = setInterval(() => this.scheduleCommit(), 1_000);
    try {
      await this.loopDone;
    } finally {
      clearInterval(idleTimer);
      clearInterval(commitTimer);
      limits.signal?.removeEventListener("abort", onAbort);
      await this.shutdown();
    }
    return {
      reason: this.stopReason,
      stats: this.snapshot(),
      onFailureLocations: [...this.onFailureLocations],
    };
  }

  /** Asks a running emulator to stop after the invocation in progress; `run()` then resolves. */
  stop(): void {
    this.requestStop(STOP_REASONS.stopped);
  }

  private requestStop(reason: StopReason): void {
    if (this.stopping) return;
    this.stopping = true;
    this.stopReason = reason;
    this.sleepAborter.abort();
    this.wake();
  }

  private async start(): Promise<void> {
    this.destination = this.options.onFailureDestination ?? this.buildDestination();
    if (this.options.initialOffsets !== undefined)
      await this.applyInitialOffsets(this.options.initialOffsets);
    const consumer = this.kafka.consumer({
      groupId: this.settings.groupId,
      allowAutoTopicCreation: false,
      // Short broker waits so an idle stream and a stop are noticed quickly.
      maxWaitTimeInMs: 250,
      retry: { initialRetryTime: 300, retries: 8 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => this.onAssignment(payload.memberAssignment));
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) return;
      // kafkajs gives up on errors it cannot retry (authorization, a deleted topic): nothing more
      // will arrive, so stop instead of waiting forever.
      this.logger.error("the Kafka consumer crashed and will not restart; stopping", {
        error: String(payload.error),
      });
      this.requestStop(STOP_REASONS.stopped);
    });
    consumer.on(consumer.events.FETCH, () => {
      this.fetchesSinceActivity += 1;
    });
    await consumer.connect();
    await consumer.subscribe({
      topics: [...this.settings.topics],
      fromBeginning: this.settings.startingPosition === "TRIM_HORIZON",
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.onFetched(payload),
    });
    this.logger.info("polling", {
      topics: this.settings.topics.join(","),
      group: this.settings.groupId,
      batchSize: this.settings.batchSize,
      batchingWindowMs: this.settings.batchingWindowMs,
      retryAttempts: this.settings.retryAttempts,
      bisect: this.settings.bisectBatchOnError,
      partialResponses: this.settings.reportBatchItemFailures,
      onFailure: this.destination?.description ?? "none",
    });
    this.loopDone = this.loop();
  }

  private buildDestination(): OnFailureDestination | undefined {
    const target = this.settings.onFailure;
    if (target === undefined) return undefined;
    const context = { envelope: this.envelope, functionArn: this.functionArn };
    if (target.type === "s3") {
      return new S3OnFailureDestination({
        client: new S3Client(this.options.s3 ?? { region: this.settings.region }),
        bucket: target.bucket,
        prefix: target.prefix,
        groupId: this.settings.groupId,
        context,
      });
    }
    return new KafkaOnFailureDestination({
      producer: this.kafka.producer({
        allowAutoTopicCreation: false,
        createPartitioner: explicitPartitioner,
      }),
      topic: target.topic,
      context,
      partitionCount: () => topicPartitionCount(this.kafka, target.topic),
    });
  }

  /**
   * Partitions of the initial offsets whose group has no committed offset start there: fetched
   * records below are dropped, and the consumer seeks there once the partition is assigned.
   * (kafkajs's admin `setOffsets` on a new group costs seconds of coordinator retries.)
   */
  private async applyInitialOffsets(
    offsets: readonly { topic: string; partition: number; offset: number }[],
  ): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const topics = [...new Set(offsets.map((o) => o.topic))];
      const committed = await admin.fetchOffsets({ groupId: this.settings.groupId, topics });
      for (const { topic, partition, offset } of offsets) {
        const current = committed
          .find((c) => c.topic === topic)
          ?.partitions.find((p) => p.partition === partition);
        if (current !== undefined && Number(current.offset) >= 0) continue;
        const state = this.stateOf(topic, partition);
        state.assigned = false;
        state.fetchedUpTo = offset;
        this.seekOnAssignment.set(state.id, offset);
      }
    } finally {
      await admin.disconnect();
    }
  }

  private onAssignment(assignment: Readonly<Record<string, readonly number[]>>): void {
    const assigned = new Set<string>();
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) {
        const state = this.stateOf(topic, partition);
        state.assigned = true;
        // A rejoin resumes fetching; kafkajs forgets pauses across it.
        state.paused = false;
        assigned.add(state.id);
        const start = this.seekOnAssignment.get(state.id);
        if (start !== undefined) {
          this.seekOnAssignment.delete(state.id);
          this.consumer?.seek({ topic, partition, offset: String(start) });
        }
      }
    }
    for (const state of this.partitions.values()) {
      if (assigned.has(state.id) || !state.assigned) continue;
      // Another member owns it now and starts from the committed offset; our copy is stale.
      this.logger.warn("partition revoked; its buffered records are left to the new owner", {
        partition: state.id,
        dropped: state.buffer.length,
      });
      state.assigned = false;
      state.buffer = [];
      state.fetchedUpTo = undefined;
    }
  }

  private stateOf(topic: string, partition: number): PartitionState {
    const id = `${topic}-${partition}`;
    let state = this.partitions.get(id);
    if (state === undefined) {
      state = {
        id,
        topic,
        partition,
        buffer: [],
        fetchedUpTo: undefined,
        firstFetched: undefined,
        committed: undefined,
        paused: false,
        assigned: true,
      };
      this.partitions.set(id, state);
    }
    return state;
  }

  /** kafkajs hands over fetched records; they are buffered, never processed inside the fetch loop. */
  private async onFetched({ batch, resolveOffset }: EachBatchPayload): Promise<void> {
    const state = this.stateOf(batch.topic, batch.partition);
    let added = 0;
    for (const message of batch.messages) {
      const offset = Number(message.offset);
      // Marks the record fetched (not committed: autoCommit is off) so the next fetch moves on.
      resolveOffset(message.offset);
      if (state.fetchedUpTo !== undefined && offset < state.fetchedUpTo) continue;
      const record = toPolledRecord(batch.topic, batch.partition, message);
      state.buffer.push({
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        timestamp: record.timestamp,
        record,
        failedAttempts: 0,
      });
      state.fetchedUpTo = offset + 1;
      state.firstFetched ??= offset;
      added += 1;
    }
    if (added === 0) return;
    this.stats.polled += added;
    this.markActivity();
    if (!state.paused && state.buffer.length >= this.maxBufferedPerPartition) {
      state.paused = true;
      this.consumer?.pause([{ topic: state.topic, partitions: [state.partition] }]);
    }
    this.wake();
    this.options.onProgress?.(this.snapshot());
  }

  /**
   * Dispatches work while fewer than `concurrency` invocations run: first retries (in order, each
   * once no earlier work of its partitions is pending), then new batches from partitions that have
   * nothing in flight or waiting for a retry, so each partition stays in order.
   */
  private async loop(): Promise<void> {
    const running = new Set<Promise<void>>();
    while (!this.stopping) {
      if (running.size < this.concurrency) {
        const unit = this.takeRetryUnit() ?? this.takeReadyBatch();
        if (unit !== undefined) {
          const delivery: Promise<void> = this.deliverSafely(unit).finally(() => {
            running.delete(delivery);
            this.wake();
          });
          running.add(delivery);
          continue;
        }
      }
      // Woken early by new records, a finished delivery or a stop.
      await this.waitForWork(running.size < this.concurrency ? this.windowRemaining() : 1_000);
    }
    await Promise.all(running);
  }

  private async deliverSafely(unit: Pending[]): Promise<void> {
    for (const id of partitionsOf(unit)) this.inFlightPartitions.add(id);
    this.inFlight.add(unit);
    try {
      await this.deliver(unit);
    } catch (error) {
      // A bug in the emulator itself: keep the records outstanding and stop rather than loop.
      this.retryQueue.unshift(unit);
      this.logger.error("emulator failed; stopping", { error: String(error) });
      this.requestStop(STOP_REASONS.stopped);
    } finally {
      this.inFlight.delete(unit);
      for (const id of partitionsOf(unit)) this.inFlightPartitions.delete(id);
      this.markActivity();
      this.scheduleCommit();
      this.options.onProgress?.(this.snapshot());
      if (this.stats.invocations >= this.maxBatches) this.requestStop(STOP_REASONS.maxBatches);
    }
  }

  /** The first queued retry whose partitions are free and not also in an earlier queued retry. */
  private takeRetryUnit(): Pending[] | undefined {
    const earlier = new Set<string>();
    for (let i = 0; i < this.retryQueue.length; i += 1) {
      const unit = this.retryQueue[i] as Pending[];
      const ids = partitionsOf(unit);
      if (ids.every((id) => !this.inFlightPartitions.has(id) && !earlier.has(id))) {
        this.retryQueue.splice(i, 1);
        return unit;
      }
      for (const id of ids) earlier.add(id);
    }
    return undefined;
  }

  /** A batch as Lambda builds one: batch size reached, 6 MB reached, or the window elapsed. */
  private takeReadyBatch(): Pending[] | undefined {
    const states = this.freeStates();
    const available = states.reduce((sum, s) => sum + s.buffer.length, 0);
    if (available === 0) {
      this.windowStart = undefined;
      return undefined;
    }
    this.windowStart ??= Date.now();
    const waited = Date.now() - this.windowStart;
    if (
      available < this.settings.batchSize &&
      waited < this.settings.batchingWindowMs &&
      !this.bufferFillsPayload(states)
    ) {
      return undefined;
    }
    this.windowStart = undefined;
    return this.takeBatch(states);
  }

  /** Assigned partitions with buffered records, nothing in flight and no retry waiting. */
  private freeStates(): PartitionState[] {
    const blocked = new Set(this.inFlightPartitions);
    for (const unit of this.retryQueue) for (const id of partitionsOf(unit)) blocked.add(id);
    return [...this.partitions.values()].filter(
      (s) => s.assigned && s.buffer.length > 0 && !blocked.has(s.id),
    );
  }

  private windowRemaining(): number {
    if (this.windowStart === undefined) return 1_000;
    return Math.max(1, this.settings.batchingWindowMs - (Date.now() - this.windowStart));
  }

  /** Takes records round-robin over partitions (each partition's in order), cut at the payload cap. */
  private takeBatch(states: readonly PartitionState[]): Pending[] {
    const start = this.rotation++ % Math.max(1, states.length);
    const ordered = [...states.slice(start), ...states.slice(0, start)];
    const taken = new Map<PartitionState, number>();
    const picks: Pending[] = [];
    let progressed = true;
    while (picks.length < this.settings.batchSize && progressed) {
      progressed = false;
      for (const state of ordered) {
        const index = taken.get(state) ?? 0;
        const next = state.buffer[index];
        if (next === undefined) continue;
        picks.push(next);
        taken.set(state, index + 1);
        progressed = true;
        if (picks.length === this.settings.batchSize) break;
      }
    }
    const fits = countWithinPayloadCap(
      picks.map((p) => p.record),
      this.envelope,
    );
    // A first record over the cap alone is still taken: delivery sends it to the on-failure destination.
    const chosen = picks.slice(0, Math.max(1, fits));
    for (const state of ordered) {
      const count = chosen.filter((p) => p.topic === state.topic && p.partition === state.partition).length;
      if (count > 0) state.buffer.splice(0, count);
      if (state.paused && state.buffer.length < this.maxBufferedPerPartition / 2) {
        state.paused = false;
        this.consumer?.resume([{ topic: state.topic, partitions: [state.partition] }]);
      }
    }
    return chosen;
  }

  private async deliver(unit: Pending[]): Promise<void> {
    const { fresh, expired } = splitByAge(unit, Date.now(), this.settings.maxRecordAgeS);
    if (expired.length > 0) {
      await this.giveUp(expired, FAILURE_CONDITIONS.recordAgeExceeded, undefined, randomUUID());
    }
    if (fresh.length === 0) return;
    const records = fresh.map((p) => p.record);
    if (countWithinPayloadCap(records, this.envelope) === 0) {
      await this.giveUp(fresh.slice(0, 1), FAILURE_CONDITIONS.payloadTooLarge, undefined, randomUUID());
      if (fresh.length > 1) this.retryQueue.unshift(fresh.slice(1));
      return;
    }
    await this.invoke(fresh);
  }

  private async invoke(batch: Pending[]): Promise<void> {
    const requestId = randomUUID();
    const records = batch.map((p) => p.record);
    // What Lambda sends is JSON: the handler gets its own copy, never the emulator's objects.
    const event = JSON.parse(serializeInvocationEvent(records, this.envelope));
    const context = createLambdaContext({
      functionName: this.settings.functionName,
      functionArn: this.functionArn,
      timeoutMs: this.settings.timeoutMs,
      requestId,
    });
    this.stats.invocations += 1;
    const outcome = await invokeHandler(this.options.handler, event, context, this.settings.timeoutMs);
    const verdict = judgeInvocation(batch, outcome, this.settings);

    if (verdict.kind === VERDICT_KINDS.success) {
      this.stats.succeeded += 1;
      return;
    }
    if (verdict.kind === VERDICT_KINDS.partial) {
      this.stats.partialResponses += 1;
      await this.redeliver(planCommits(batch, verdict).redeliver, requestId);
      return;
    }

    if (verdict.failure === "timeout") this.stats.timeouts += 1;
    else if (verdict.failure === "invalid-response") this.stats.invalidResponses += 1;
    else this.stats.functionErrors += 1;
    for (const pending of batch) pending.failedAttempts += 1;
    const attempts = Math.max(...batch.map((p) => p.failedAttempts));
    const decision = decideRetry(batch, attempts, this.settings);
    const retries = this.settings.retryAttempts < 0 ? "infinite" : this.settings.retryAttempts;
    if (decision.kind === "give-up") {
      this.logger.warn("whole batch failed and its retries are exhausted", {
        reason: verdict.reason,
        records: batch.length,
        partitions: describePartitions(batch),
        attempts,
        retryAttempts: retries,
        requestId,
      });
      await this.giveUp(batch, FAILURE_CONDITIONS.retriesExhausted, verdict.functionError, requestId);
      return;
    }
    if (decision.batches.length > 1) this.stats.bisections += 1;
    this.stats.redeliveredRecords += batch.length;
    this.retryQueue.unshift(...decision.batches.map((b) => [...b]));
    this.logger.warn(
      decision.batches.length > 1 ? "whole batch failed; bisecting" : "whole batch failed; retrying",
      {
        reason: verdict.reason,
        records: batch.length,
        partitions: describePartitions(batch),
        attempt: attempts,
        retryAttempts: retries,
        requestId,
      },
    );
    await this.sleep(retryDelayMs(attempts, this.settings.retryBackoffMs));
  }

  /**
   * Puts the records of a partial response back at the head of their partitions, together with any
   * later records of those partitions still waiting in the retry queue, so order holds.
   */
  private async redeliver(records: readonly Pending[], requestId: string): Promise<void> {
    let again = [...records];
    if (this.settings.partialFailuresCountAsRetries && this.settings.retryAttempts >= 0) {
      for (const pending of again) pending.failedAttempts += 1;
      const exhaustedPartitions = new Set(
        again.filter((p) => p.failedAttempts > this.settings.retryAttempts).map((p) => partitionId(p)),
      );
      const exhausted = again.filter((p) => exhaustedPartitions.has(partitionId(p)));
      if (exhausted.length > 0) {
        await this.giveUp(exhausted, FAILURE_CONDITIONS.retriesExhausted, undefined, requestId);
        again = again.filter((p) => !exhaustedPartitions.has(partitionId(p)));
      }
    }
    this.stats.redeliveredRecords += again.length;
    const byPartition = new Map<string, Pending[]>();
    for (const pending of again) {
      const id = partitionId(pending);
      byPartition.set(id, [...(byPartition.get(id) ?? []), pending]);
    }
    for (const [id, list] of byPartition) {
      for (const unit of this.retryQueue) {
        for (let i = unit.length - 1; i >= 0; i -= 1) {
          if (partitionId(unit[i] as Pending) === id) list.push(...unit.splice(i, 1));
        }
      }
      const state = this.partitions.get(id);
      if (state === undefined || !state.assigned) continue;
      list.sort((a, b) => a.offset - b.offset);
      state.buffer = [...list, ...state.buffer];
    }
    for (let i = this.retryQueue.length - 1; i >= 0; i -= 1) {
      if (this.retryQueue[i]?.length === 0) this.retryQueue.splice(i, 1);
    }
  }

  /**
   * Records whose retries or age ran out go to the on-failure destination; its delivery is retried
   * until it succeeds, because committing past records nobody has is losing them. Without a
   * destination Lambda drops them, and so does the emulator, loudly.
   */
  private async giveUp(
    records: readonly Pending[],
    condition: FailureCondition,
    functionError: string | undefined,
    requestId: string,
  ): Promise<void> {
    const failed: FailedBatch = {
      records: records.map((p) => p.record),
      condition,
      requestId,
      invokeCount: Math.max(0, ...records.map((p) => p.failedAttempts)),
      functionError,
      failedAt: new Date(),
    };
    const destination = this.destination;
    if (destination === undefined) {
      this.stats.droppedRecords += records.length;
      this.logger.warn("records dropped: no on-failure destination", {
        condition,
        records: records.length,
        partitions: describePartitions(records),
      });
      return;
    }
    for (let attempt = 1; ; attempt += 1) {
      try {
        const locations = await destination.deliver(failed);
        this.stats.onFailureRecords += records.length;
        this.stats.onFailureBatches += 1;
        this.onFailureLocations.push(...locations);
        this.logger.warn("records sent to the on-failure destination", {
          condition,
          records: records.length,
          partitions: describePartitions(records),
          destination:
            locations.length === 1
              ? locations[0]
              : `${destination.description} (${locations.length} messages)`,
        });
        return;
      } catch (error) {
        this.stats.onFailureDeliveryErrors += 1;
        this.logger.error("on-failure destination delivery failed; retrying", {
          destination: destination.description,
          error: String(error),
          attempt,
        });
        if (this.stopping) {
          // Kept outstanding, so no commit passes them: the next run delivers them again.
          this.retryQueue.unshift([...records]);
          return;
        }
        await this.sleep(Math.min(5_000, 200 * 2 ** (attempt - 1)));
      }
    }
  }

  /** Commits, per partition, up to the lowest record not done; one commit request at a time. */
  private scheduleCommit(): void {
    this.commitWanted = true;
    if (this.committing !== undefined || this.consumer === undefined) return;
    const consumer = this.consumer;
    this.committing = (async () => {
      while (this.commitWanted) {
        this.commitWanted = false;
        const due = this.dueCommits();
        if (due.length === 0) continue;
        try {
          await consumer.commitOffsets(
            due.map(({ state, offset }) => ({
              topic: state.topic,
              partition: state.partition,
              offset: String(offset),
            })),
          );
          for (const { state, offset, records } of due) {
            state.committed = offset;
            this.stats.committedRecords += records;
          }
          if (this.commitFailing) this.logger.info("offset commits work again");
          this.commitFailing = false;
        } catch (error) {
          this.stats.commitErrors += 1;
          if (!this.commitFailing)
            this.logger.warn("offset commit failed; will retry", { error: String(error) });
          this.commitFailing = true;
          return;
        }
      }
    })().finally(() => {
      this.committing = undefined;
    });
  }

  private dueCommits(): { state: PartitionState; offset: number; records: number }[] {
    const lowest = new Map<string, number>();
    const consider = (pending: Pending) => {
      const id = partitionId(pending);
      const current = lowest.get(id);
      if (current === undefined || pending.offset < current) lowest.set(id, pending.offset);
    };
    for (const state of this.partitions.values())
      if (state.buffer[0] !== undefined) consider(state.buffer[0]);
    for (const unit of this.retryQueue) unit.forEach(consider);
    for (const unit of this.inFlight) unit.forEach(consider);

    const due: { state: PartitionState; offset: number; records: number }[] = [];
    for (const state of this.partitions.values()) {
      if (!state.assigned || state.fetchedUpTo === undefined) continue;
      const offset = lowest.get(state.id) ?? state.fetchedUpTo;
      if (state.committed !== undefined && offset <= state.committed) continue;
      const from = state.committed ?? state.firstFetched ?? offset;
      due.push({ state, offset, records: Math.max(0, offset - from) });
    }
    return due;
  }

  private isIdle(idleMs: number): boolean {
    return (
      this.outstandingCount() === 0 &&
      Date.now() - this.lastActivityAt >= idleMs &&
      this.fetchesSinceActivity >= 2 &&
      this.committing === undefined &&
      this.dueCommits().length === 0
    );
  }

  private async shutdown(): Promise<void> {
    this.scheduleCommit();
    await withTimeout(this.committing ?? Promise.resolve(), 5_000);
    if (this.dueCommits().length > 0) {
      this.logger.warn("stopped with uncommitted offsets; the next run redelivers those records");
    }
    await this.consumer?.disconnect().catch(() => undefined);
    await this.destination?.close().catch(() => undefined);
  }

  private outstandingCount(): number {
    let count = this.bufferedCount();
    for (const unit of this.inFlight) count += unit.length;
    for (const unit of this.retryQueue) count += unit.length;
    return count;
  }

  private bufferedCount(): number {
    let count = 0;
    for (const state of this.partitions.values()) if (state.assigned) count += state.buffer.length;
    return count;
  }

  private bufferFillsPayload(states: readonly PartitionState[]): boolean {
    let bytes = 0;
    for (const state of states) {
      for (const pending of state.buffer) {
        bytes += pending.record.eventBytes;
        if (bytes > MAX_PAYLOAD_FILL_BYTES) return true;
      }
    }
    return false;
  }

  private markActivity(): void {
    this.lastActivityAt = Date.now();
    this.fetchesSinceActivity = 0;
  }

  private wake(): void {
    const wake = this.wakeUp;
    this.wakeUp = undefined;
    wake?.();
  }

  private waitForWork(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          this.wakeUp = undefined;
          resolve();
        },
        Math.max(1, ms),
      );
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.stopping) return Promise.resolve();
    const signal = this.sleepAborter.signal;
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
    });
  }
}

/** A little under 6 MB of records: the JSON around them needs the rest. */
const MAX_PAYLOAD_FILL_BYTES = 6 * 1024 * 1024 - 64 * 1024;

function partitionsOf(records: readonly Pending[]): string[] {
  return [...new Set(records.map((p) => partitionId(p)))];
}

function describePartitions(records: readonly Pending[]): string {
  const ranges = new Map<string, { first: number; last: number }>();
  for (const p of records) {
    const id = partitionId(p);
    const range = ranges.get(id);
    if (range === undefined) ranges.set(id, { first: p.offset, last: p.offset });
    else ranges.set(id, { first: Math.min(range.first, p.offset), last: Math.max(range.last, p.offset) });
  }
  return [...ranges]
    .map(([id, r]) => (r.first === r.last ? `${id}@${r.first}` : `${id}@${r.first}..${r.last}`))
    .join(" ");
}

async function topicPartitionCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const count = topics[0]?.partitions.length ?? 0;
    if (count === 0) throw new Error(`the on-failure topic ${topic} has no partitions`);
    return count;
  } finally {
    await admin.disconnect();
  }
}

async function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
