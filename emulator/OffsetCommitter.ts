import type { Consumer } from "kafkajs";
import type { MappingCounters } from "./emulatorStats";
import { partitionId } from "./eventBuilder";
import type { PartitionState } from "./KafkaPoller";
import type { Pending } from "./pendingRecords";
import type { EmulatorLogger } from "./types";

export interface OffsetCommitterOptions {
  readonly partitions: ReadonlyMap<string, PartitionState>;
  /** Every record fetched and not done: buffered, queued for a retry, or being delivered. */
  readonly outstanding: () => Iterable<Pending>;
  readonly consumer: () => Consumer | undefined;
  readonly counters: MappingCounters;
  readonly logger: EmulatorLogger;
}

/**
 * Commits, per partition, up to the lowest record that is not done, and nothing past it: stopping
 * or crashing at any moment loses nothing (those records are delivered again). One commit request
 * at a time; a failed commit (broker away) is retried by the next `schedule()`.
 */
export class OffsetCommitter {
  private committing: Promise<void> | undefined;
  private wanted = false;
  private failing = false;

  constructor(private readonly options: OffsetCommitterOptions) {}

  get busy(): boolean {
    return this.committing !== undefined;
  }

  /** Resolves once the commit in progress (if any) has ended. */
  settled(): Promise<void> {
    return this.committing ?? Promise.resolve();
  }

  schedule(): void {
    this.wanted = true;
    const consumer = this.options.consumer();
    if (this.committing !== undefined || consumer === undefined) return;
    this.committing = this.commitWhileWanted(consumer).finally(() => {
      this.committing = undefined;
    });
  }

  /** Partitions whose committed offset is behind their lowest outstanding record. */
  due(): { state: PartitionState; offset: number; records: number }[] {
    const lowest = new Map<string, number>();
    for (const pending of this.options.outstanding()) {
      const id = partitionId(pending);
      const current = lowest.get(id);
      if (current === undefined || pending.offset < current) lowest.set(id, pending.offset);
    }
    const due: { state: PartitionState; offset: number; records: number }[] = [];
    for (const state of this.options.partitions.values()) {
      if (!state.assigned || state.fetchedUpTo === undefined) continue;
      const offset = lowest.get(state.id) ?? state.fetchedUpTo;
      if (state.committed !== undefined && offset <= state.committed) continue;
      const from = state.committed ?? state.firstFetched ?? offset;
      due.push({ state, offset, records: Math.max(0, offset - from) });
    }
    return due;
  }

  private async commitWhileWanted(consumer: Consumer): Promise<void> {
    const { counters, logger } = this.options;
    while (this.wanted) {
      this.wanted = false;
      const due = this.due();
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
          counters.committedRecords += records;
        }
        if (this.failing) logger.info("offset commits work again");
        this.failing = false;
      } catch (error) {
        counters.commitErrors += 1;
        if (!this.failing) logger.warn("offset commit failed; will retry", { error: String(error) });
        this.failing = true;
        return;
      }
    }
  }
}
