import { randomUUID } from "node:crypto";
import { describeCause } from "../functions/lib/core/errors";
import { FAILURE_CONDITIONS, type FailureCondition } from "./constants";
import type { MappingCounters } from "./emulatorStats";
import {
  countWithinPayloadCap,
  type EventEnvelope,
  partitionId,
  serializeInvocationEvent,
} from "./eventBuilder";
import type { FunctionInvoker } from "./functionInvoker";
import type { MappingSchemaRegistry } from "./MappingSchemaRegistry";
import type { OnFailureSender } from "./OnFailureSender";
import { describePartitions, type Pending } from "./pendingRecords";
import type { RetryQueue } from "./RetryQueue";
import type { RuntimeReports } from "./RuntimeReports";
import { FAILURE_KINDS, judgeInvocation, planCommits, VERDICT_KINDS } from "./responseRules";
import { decideRetry, retryDelayMs, splitByAge } from "./retryRules";
import type { EmulatorLogger, MappingSettings } from "./types";

export interface BatchDeliveryOptions {
  readonly settings: MappingSettings;
  readonly envelope: EventEnvelope;
  readonly invoker: FunctionInvoker;
  readonly onFailure: OnFailureSender;
  readonly retryQueue: RetryQueue;
  /** Puts records back at the head of their partition's buffer. */
  readonly putBack: (partitionId: string, records: Pending[]) => void;
  readonly counters: MappingCounters;
  readonly reports: RuntimeReports;
  readonly logger: EmulatorLogger;
  readonly sleep: (ms: number) => Promise<void>;
  /** The mapping's schema registry: records are deserialized (or dead-ended) before the invocation. */
  readonly schemaRegistry?: MappingSchemaRegistry;
}

/**
 * One delivery of a batch (or of a retried part of one) as the mapping makes it: records past the
 * maximum age and a record over the payload cap go to the on-failure destination unsent; the rest
 * is invoked, and what the function returned decides, through the pure rules of `responseRules` and
 * `retryRules`: commit, redeliver what a partial response names, retry whole, bisect, or give up.
 */
export class BatchDelivery {
  constructor(private readonly options: BatchDeliveryOptions) {}

  async deliver(unit: Pending[]): Promise<void> {
    const { settings } = this.options;
    const { fresh, expired } = splitByAge(unit, Date.now(), settings.maxRecordAgeS);
    if (expired.length > 0) {
      await this.giveUp(expired, FAILURE_CONDITIONS.recordAgeExceeded, undefined, randomUUID());
    }
    if (fresh.length === 0) return;
    const staged = await this.staged(fresh);
    if (staged.length === 0) return;
    await this.deliverFresh(staged);
  }

  /** Records through the mapping's schema registry; failures given up, a registry outage held back. */
  private async staged(fresh: Pending[]): Promise<Pending[]> {
    const registry = this.options.schemaRegistry;
    if (registry === undefined) return fresh;
    let result: Awaited<ReturnType<MappingSchemaRegistry["stage"]>>;
    try {
      result = await registry.stage(fresh);
    } catch (error) {
      this.options.counters.schemaRegistryErrors += 1;
      this.options.logger.warn("schema registry unavailable; records held back", {
        records: fresh.length,
        error: describeCause(error),
      });
      await this.options.sleep(1_000);
      this.options.retryQueue.putFirst(fresh);
      return [];
    }
    for (const { condition, records } of result.failed) {
      await this.giveUp(records, condition, undefined, randomUUID());
    }
    return result.ready;
  }

  private async deliverFresh(fresh: Pending[]): Promise<void> {
    const { envelope } = this.options;
    const records = fresh.map((p) => p.record);
    if (countWithinPayloadCap(records, envelope) === 0) {
      await this.giveUp(fresh.slice(0, 1), FAILURE_CONDITIONS.payloadTooLarge, undefined, randomUUID());
      if (fresh.length > 1) this.options.retryQueue.putFirst(fresh.slice(1));
      return;
    }
    await this.invoke(fresh);
  }

  private async invoke(batch: Pending[]): Promise<void> {
    const { settings, counters, logger } = this.options;
    const requestId = randomUUID();
    counters.invocations += 1;
    const { outcome, report } = await this.options.invoker.invoke({
      requestId,
      eventJson: serializeInvocationEvent(
        batch.map((p) => p.record),
        this.options.envelope,
      ),
      records: batch.length,
    });
    this.options.reports.add(report);
    const verdict = judgeInvocation(batch, outcome, settings);

    if (verdict.kind === VERDICT_KINDS.success) {
      counters.succeeded += 1;
      return;
    }
    if (verdict.kind === VERDICT_KINDS.partial) {
      counters.partialResponses += 1;
      await this.redeliver(planCommits(batch, verdict).redeliver, requestId);
      return;
    }

    if (verdict.failure === FAILURE_KINDS.timeout) counters.timeouts += 1;
    else if (verdict.failure === FAILURE_KINDS.invalidResponse) counters.invalidResponses += 1;
    else counters.functionErrors += 1;
    for (const pending of batch) pending.failedAttempts += 1;
    const attempts = Math.max(...batch.map((p) => p.failedAttempts));
    const decision = decideRetry(batch, attempts, settings);
    const retries = settings.retryAttempts < 0 ? "infinite" : settings.retryAttempts;
    if (decision.kind === "give-up") {
      logger.warn("whole batch failed and its retries are exhausted", {
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
    if (decision.batches.length > 1) counters.bisections += 1;
    counters.redeliveredRecords += batch.length;
    this.options.retryQueue.putFirst(...decision.batches);
    logger.warn(
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
    await this.options.sleep(retryDelayMs(attempts, settings.retryBackoffMs));
  }

  /**
   * Puts the records of a partial response back at the head of their partitions, together with any
   * later records of those partitions still waiting in the retry queue, so order holds.
   */
  private async redeliver(records: readonly Pending[], requestId: string): Promise<void> {
    const { settings, counters, retryQueue } = this.options;
    let again = [...records];
    if (settings.partialFailuresCountAsRetries && settings.retryAttempts >= 0) {
      for (const pending of again) pending.failedAttempts += 1;
      const exhaustedPartitions = new Set(
        again.filter((p) => p.failedAttempts > settings.retryAttempts).map((p) => partitionId(p)),
      );
      const exhausted = again.filter((p) => exhaustedPartitions.has(partitionId(p)));
      if (exhausted.length > 0) {
        await this.giveUp(exhausted, FAILURE_CONDITIONS.retriesExhausted, undefined, requestId);
        again = again.filter((p) => !exhaustedPartitions.has(partitionId(p)));
      }
    }
    counters.redeliveredRecords += again.length;
    const byPartition = new Map<string, Pending[]>();
    for (const pending of again) {
      const id = partitionId(pending);
      byPartition.set(id, [...(byPartition.get(id) ?? []), pending]);
    }
    for (const [id, list] of byPartition) {
      list.push(...retryQueue.takePartition(id));
      this.options.putBack(id, list);
    }
  }

  private async giveUp(
    records: readonly Pending[],
    condition: FailureCondition,
    functionError: string | undefined,
    requestId: string,
  ): Promise<void> {
    const result = await this.options.onFailure.giveUp(records, condition, functionError, requestId);
    if (result === "kept") this.options.retryQueue.putFirst(records);
  }
}
