import { PLACES, type Place, type Placement } from "./locateRecords";

export interface Reconciliation {
  readonly produced: number;
  /** Distinct source records found in each place (a record is counted in its first place found). */
  readonly found: Readonly<Record<Place, number>>;
  /** Produced records found nowhere: lost. */
  readonly missing: readonly string[];
  /** Produced records found more than once (at-least-once delivery allows it; worth knowing). */
  readonly duplicated: number;
  /** Records in more than one kind of place, e.g. both a target record and a dead letter. */
  readonly inSeveralPlaces: readonly string[];
  readonly complete: boolean;
}

/**
 * Checks that every produced record is somewhere: target, dead letter or on-failure destination.
 * Pure, so the rule "nothing lost" is the same in the demo and in every end-to-end test.
 *
 * @example
 * const result = reconcile(producedIds, await locateRecords(kafka, sinks));
 * if (!result.complete) throw new Error(`lost ${result.missing.length} records`);
 */
export function reconcile(produced: readonly string[], placements: readonly Placement[]): Reconciliation {
  const wanted = new Set(produced);
  const places = new Map<string, Set<Place>>();
  const seen = new Map<string, number>();
  for (const placement of placements) {
    if (!wanted.has(placement.source)) continue;
    seen.set(placement.source, (seen.get(placement.source) ?? 0) + 1);
    const set = places.get(placement.source) ?? new Set<Place>();
    set.add(placement.place);
    places.set(placement.source, set);
  }
  const found: Record<Place, number> = { [PLACES.target]: 0, [PLACES.deadLetter]: 0, [PLACES.onFailure]: 0 };
  for (const set of places.values()) {
    const first = [PLACES.target, PLACES.deadLetter, PLACES.onFailure].find((p) => set.has(p));
    if (first !== undefined) found[first] += 1;
  }
  const missing = [...wanted].filter((id) => !places.has(id));
  return {
    produced: wanted.size,
    found,
    missing,
    duplicated: [...seen.values()].filter((n) => n > 1).length,
    inSeveralPlaces: [...places].filter(([, set]) => set.size > 1).map(([id]) => id),
    complete: missing.length === 0,
  };
}
