import { BatchDelivery } from "./BatchDelivery";
import {
  type EventSourceMappingEmulatorOptions,
  type RunLimits,
  type RunResult,
  STOP_REASONS,
  type StopReason,
} from "./emulatorOptions";
import { createMappingCounters, type EmulatorStats } from "./emulatorStats";
import type { EventEnvelope } from "./eventBuilder";
import type { FunctionInvoker } from "./functionInvoker";
import { InProcessInvoker } from "./InProcessInvoker";
import { KafkaPoller } from "./KafkaPoller";
import { createKafkaClient } from "./kafkaClient";
import { consoleLogger } from "./logger";
import { OffsetCommitter } from "./OffsetCommitter";
import { OnFailureSender } from "./OnFailureSender";
import { type Pending, partitionsOf } from "./pendingRecords";
import { RetryQueue } from "./RetryQueue";
import { RuntimeReports } from "./RuntimeReports";
import { type SandboxControl, SandboxPool } from "./sandbox/SandboxPool";
import { functionArnOf } from "./settings";
import type { EmulatorLogger, MappingSettings } from "./types";

export {
  type EventSourceMappingEmulatorOptions,
  type RunLimits,
  type RunResult,
  type SandboxOptions,
  STOP_REASONS,
  type StopReason,
} from "./emulatorOptions";
export type { EmulatorStats, RuntimeStats } from "./emulatorStats";

/**
 * A Kafka event source mapping on your machine: polls a real broker, builds the exact invocation
 * event, calls your function (in process, or in sandbox processes as Lambda runs it), and applies
 * Lambda's rules to what it returns (partial batch response, retries, bisect, maximum record age,
 * on-failure destination).
 *
 * One poller, at most `concurrency` invocations at once, never two for one partition. Offsets are
 * committed explicitly, only up to the lowest record that is not done, so stopping at any moment
 * loses nothing.
 *
 * @example
 * const emulator = new EventSourceMappingEmulator({ sandbox: { module: bundle }, connection, settings });
 * const { stats } = await emulator.run({ untilIdleMs: 3_000 });
 */
export class EventSourceMappingEmulator {
  private readonly settings: MappingSettings;
  private readonly logger: EmulatorLogger;
  private readonly counters = createMappingCounters();
  private readonly reports = new RuntimeReports();
  private readonly retryQueue = new RetryQueue();
  /** Units being delivered (invoked, retried after a backoff, or sent to the destination). */
  private readonly inFlight = new Set<readonly Pending[]>();
  private readonly inFlightPartitions = new Set<string>();
  private readonly poller: KafkaPoller;
  private readonly committer: OffsetCommitter;
  private readonly onFailure: OnFailureSender;
  private readonly invoker: FunctionInvoker;
  private readonly delivery: BatchDelivery;
  private readonly pool: SandboxPool | undefined;
  private stopping = false;
  private stopReason: StopReason = STOP_REASONS.stopped;
  private loopDone: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private readonly sleepAborter = new AbortController();
  private lastActivityAt = Date.now();
  private maxBatches = Number.POSITIVE_INFINITY;

  constructor(private readonly options: EventSourceMappingEmulatorOptions) {
    const settings = options.settings;
    this.settings = settings;
    this.logger = options.logger ?? consoleLogger;
    const kafka = options.kafka ?? createKafkaClient(options.connection, this.logger);
    const envelope: EventEnvelope = {
      eventSource: settings.eventSource,
      eventSourceArn: settings.eventSourceArn,
      bootstrapServers: options.connection.brokers.join(","),
    };
    const functionArn = functionArnOf(settings);
    const sleep = (ms: number) => this.sleep(ms);
    this.poller = new KafkaPoller({
      kafka,
      settings,
      envelope,
      logger: this.logger,
      counters: this.counters,
      onRecords: () => {
        this.lastActivityAt = Date.now();
        this.wake();
        this.options.onProgress?.(this.snapshot());
      },
      onFatal: () => this.requestStop(STOP_REASONS.stopped),
    });
    this.committer = new OffsetCommitter({
      partitions: this.poller.partitions,
      outstanding: () => this.outstandingRecords(),
      consumer: () => this.poller.connectedConsumer,
      counters: this.counters,
      logger: this.logger,
    });
    this.onFailure = new OnFailureSender({
      settings,
      kafka,
      envelope,
      functionArn,
      ...(options.onFailureDestination === undefined ? {} : { destination: options.onFailureDestination }),
      ...(options.s3 === undefined ? {} : { s3: options.s3 }),
      counters: this.counters,
      logger: this.logger,
      sleep,
      isStopping: () => this.stopping,
    });
    const fn = { functionName: settings.functionName, functionArn, memorySizeMb: settings.memorySizeMb };
    if (options.sandbox !== undefined) {
      const { sandbox } = options;
      this.pool = new SandboxPool({
        ...fn,
        modulePath: sandbox.module,
        exportName: sandbox.exportName ?? "handler",
        region: settings.region,
        timeoutMs: settings.timeoutMs,
        environment: sandbox.environment ?? {},
        inherited: process.env,
        ...(sandbox.functionLog === undefined ? {} : { functionLog: sandbox.functionLog }),
        ...(sandbox.faults === undefined ? {} : { faults: sandbox.faults }),
      });
      this.invoker = this.pool;
    } else {
      this.invoker = new InProcessInvoker({ ...fn, handler: options.handler, timeoutMs: settings.timeoutMs });
    }
    this.delivery = new BatchDelivery({
      settings,
      envelope,
      invoker: this.invoker,
      onFailure: this.onFailure,
      retryQueue: this.retryQueue,
      putBack: (id, records) => this.poller.putBack(id, records),
      counters: this.counters,
      reports: this.reports,
      logger: this.logger,
      sleep,
      ...(options.schemaRegistry === undefined ? {} : { schemaRegistry: options.schemaRegistry }),
    });
  }

  /** The running sandboxes, for fault injection; undefined when the handler runs in process. */
  get sandboxes(): SandboxControl | undefined {
    return this.pool;
  }

  /** Current counters. */
  snapshot(): EmulatorStats {
    return { ...this.counters, outstanding: this.outstandingCount(), runtime: this.reports.summary() };
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
    const commitTimer = setInterval(() => this.committer.schedule(), 1_000);
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
      onFailureLocations: [...this.onFailure.locations],
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
    const provisioned = this.options.sandbox?.provisionedConcurrency ?? 0;
    if (this.pool !== undefined && provisioned > 0) await this.pool.prewarm(provisioned);
    await this.poller.start(this.options.initialOffsets);
    this.logger.info("polling", {
      topics: this.settings.topics.join(","),
      group: this.settings.groupId,
      batchSize: this.settings.batchSize,
      batchingWindowMs: this.settings.batchingWindowMs,
      retryAttempts: this.settings.retryAttempts,
      bisect: this.settings.bisectBatchOnError,
      partialResponses: this.settings.reportBatchItemFailures,
      onFailure: this.onFailure.description,
      function: this.pool === undefined ? "in process" : `sandbox, ${this.settings.memorySizeMb} MB`,
    });
    this.loopDone = this.loop();
  }

  /**
   * Dispatches work while fewer than `concurrency` invocations run: first retries (in order, each
   * once no earlier work of its partitions is pending), then new batches from partitions that have
   * nothing in flight or waiting for a retry, so each partition stays in order.
   */
  private async loop(): Promise<void> {
    const running = new Set<Promise<void>>();
    while (!this.stopping) {
      if (running.size < this.settings.concurrency) {
        const unit = this.retryQueue.takeReady(this.inFlightPartitions) ?? this.takeNewBatch();
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
      await this.waitForWork(
        running.size < this.settings.concurrency ? this.poller.windowRemaining() : 1_000,
      );
    }
    await Promise.all(running);
  }

  private takeNewBatch(): Pending[] | undefined {
    const busy = new Set(this.inFlightPartitions);
    for (const id of this.retryQueue.partitions()) busy.add(id);
    return this.poller.takeReadyBatch(busy);
  }

  private async deliverSafely(unit: Pending[]): Promise<void> {
    for (const id of partitionsOf(unit)) this.inFlightPartitions.add(id);
    this.inFlight.add(unit);
    try {
      await this.delivery.deliver(unit);
    } catch (error) {
      // A bug in the emulator itself: keep the records outstanding and stop rather than loop.
      this.retryQueue.putFirst(unit);
      this.logger.error("emulator failed; stopping", { error: String(error) });
      this.requestStop(STOP_REASONS.stopped);
    } finally {
      this.inFlight.delete(unit);
      for (const id of partitionsOf(unit)) this.inFlightPartitions.delete(id);
      this.lastActivityAt = Date.now();
      this.poller.fetchesSinceActivity = 0;
      this.committer.schedule();
      this.options.onProgress?.(this.snapshot());
      if (this.counters.invocations >= this.maxBatches) this.requestStop(STOP_REASONS.maxBatches);
    }
  }

  private isIdle(idleMs: number): boolean {
    return (
      this.outstandingCount() === 0 &&
      Date.now() - this.lastActivityAt >= idleMs &&
      this.poller.fetchesSinceActivity >= 2 &&
      !this.committer.busy &&
      this.committer.due().length === 0
    );
  }

  private async shutdown(): Promise<void> {
    this.committer.schedule();
    await withTimeout(this.committer.settled(), 5_000);
    if (this.committer.due().length > 0) {
      this.logger.warn("stopped with uncommitted offsets; the next run redelivers those records");
    }
    await this.poller.stop();
    await this.onFailure.close();
    await this.invoker.close();
    if (this.pool !== undefined) this.logRuntimeSummary();
  }

  /** The run's REPORT lines added up, as one line at the end. */
  private logRuntimeSummary(): void {
    const r = this.reports.summary();
    this.logger.info("function summary", {
      invocations: this.counters.invocations,
      coldStarts: r.coldStarts,
      timeouts: r.timeouts,
      outOfMemory: r.outOfMemory,
      runtimeExits: r.runtimeExits,
      maxMemoryUsedMb: r.maxMemoryUsedMb,
      durationP50Ms: r.durationP50Ms,
      durationP99Ms: r.durationP99Ms,
    });
  }

  private *outstandingRecords(): Iterable<Pending> {
    for (const state of this.poller.partitions.values()) {
      if (state.assigned && state.buffer[0] !== undefined) yield state.buffer[0];
    }
    yield* this.retryQueue.records();
    for (const unit of this.inFlight) yield* unit;
  }

  private outstandingCount(): number {
    let count = this.poller.bufferedCount() + this.retryQueue.recordCount;
    for (const unit of this.inFlight) count += unit.length;
    return count;
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

async function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
