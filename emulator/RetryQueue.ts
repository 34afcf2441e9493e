import { partitionId } from "./eventBuilder";
import { type Pending, partitionsOf } from "./pendingRecords";

/**
 * Failed batches (or their halves) waiting for another invocation, first one next. A unit is only
 * taken once no earlier unit and nothing in flight holds one of its partitions, so each partition's
 * records are delivered in order.
 */
export class RetryQueue {
  private readonly units: Pending[][] = [];

  /** Puts units at the head, in the order given (a bisected batch: first half first). */
  putFirst(...units: readonly (readonly Pending[])[]): void {
    this.units.unshift(...units.map((u) => [...u]));
  }

  /** The first unit whose partitions are free and not also in an earlier unit. */
  takeReady(busyPartitions: ReadonlySet<string>): Pending[] | undefined {
    const earlier = new Set<string>();
    for (let i = 0; i < this.units.length; i += 1) {
      const unit = this.units[i] as Pending[];
      const ids = partitionsOf(unit);
      if (ids.every((id) => !busyPartitions.has(id) && !earlier.has(id))) {
        this.units.splice(i, 1);
        return unit;
      }
      for (const id of ids) earlier.add(id);
    }
    return undefined;
  }

  /** Removes and returns every queued record of one partition (a partial response redelivers them). */
  takePartition(id: string): Pending[] {
    const taken: Pending[] = [];
    for (const unit of this.units) {
      for (let i = unit.length - 1; i >= 0; i -= 1) {
        if (partitionId(unit[i] as Pending) === id) taken.push(...unit.splice(i, 1));
      }
    }
    for (let i = this.units.length - 1; i >= 0; i -= 1) {
      if (this.units[i]?.length === 0) this.units.splice(i, 1);
    }
    return taken;
  }

  partitions(): Set<string> {
    const ids = new Set<string>();
    for (const unit of this.units) for (const id of partitionsOf(unit)) ids.add(id);
    return ids;
  }

  records(): Iterable<Pending> {
    return this.units.flat();
  }

  get recordCount(): number {
    return this.units.reduce((sum, unit) => sum + unit.length, 0);
  }
}
