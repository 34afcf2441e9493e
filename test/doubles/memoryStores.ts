import type {
  AttemptLedger,
  DeadLetterIndex,
  DeadLetterIndexEntry,
  ProducedRecordStore,
} from "../../functions/lib/core/ports";

export class MemoryDeadLetterIndex implements DeadLetterIndex {
  readonly entries = new Map<string, DeadLetterIndexEntry>();

  constructor(private readonly failure: () => Error | undefined = () => undefined) {}

  async record(entries: readonly DeadLetterIndexEntry[]): Promise<void> {
    const error = this.failure();
    if (error !== undefined) throw error;
    for (const entry of entries) this.entries.set(entry.envelope.id, entry);
  }
}

export class MemoryAttemptLedger implements AttemptLedger {
  readonly attempts = new Map<string, number>();

  async recordTransientFailure(recordId: string): Promise<number> {
    const attempts = (this.attempts.get(recordId) ?? 0) + 1;
    this.attempts.set(recordId, attempts);
    return attempts;
  }
}

export class MemoryProducedRecordStore implements ProducedRecordStore {
  readonly produced = new Set<string>();

  async findProduced(recordIds: readonly string[]): Promise<ReadonlySet<string>> {
    return new Set(recordIds.filter((id) => this.produced.has(id)));
  }

  async markProduced(recordIds: readonly string[]): Promise<void> {
    for (const id of recordIds) this.produced.add(id);
  }
}
