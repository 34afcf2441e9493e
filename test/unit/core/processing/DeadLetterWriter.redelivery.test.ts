/**
 * A redelivered batch of dead letters (issue 11, dead-letter storms): when the index says an
 * earlier delivery already stored exactly these dead letters in every sink, nothing is written
 * again, so a redelivered storm costs one index read instead of 3,000 DLQ copies; anything less
 * than that certainty takes the full path.
 */
import { describe, expect, it } from "vitest";
import { TransientError } from "../../../../functions/lib/core/errors";
import type {
  DeadLetterIndex,
  DeadLetterIndexEntry,
  DeadLetterIndexLetter,
  DeadLetterIndexLookup,
  IndexedBefore,
} from "../../../../functions/lib/core/ports";
import { MemoryArchive, MemoryMessageSink } from "../../../doubles/memorySinks";
import { buildEvent, invalidEmployee, lambdaContext } from "../../../fixtures";
import { processorWithIndex } from "../../../support/indexedProcessor";

const invalid = (offset: number) => invalidEmployee(offset);

type Letter = Pick<DeadLetterIndexLetter, "envelope" | "archiveLine">;
/** What names a set of dead letters: their archive object and each one's id and line. */
const setOf = (letters: readonly Letter[]) =>
  JSON.stringify(letters.map((l) => [l.envelope.archiveKey, l.envelope.id, l.archiveLine]).sort());

/** An index that remembers the sets it indexed with a DLQ copy of each, as markers do. */
class RememberingIndex implements DeadLetterIndex {
  readonly sets = new Set<string>();
  readonly records: number[] = [];
  readonly lookups: (DeadLetterIndexLookup | undefined)[] = [];
  readonly events: string[] = [];

  constructor(private readonly before: "answers" | "fails" = "answers") {}

  async indexedBefore(letters: readonly DeadLetterIndexLetter[]): Promise<IndexedBefore> {
    this.events.push("indexedBefore");
    if (this.before === "fails") throw new TransientError("throttled");
    return { indexed: this.sets.has(setOf(letters)), known: { markersRead: letters.length } };
  }

  async lookup(
    letters: readonly DeadLetterIndexLetter[],
    known?: DeadLetterIndexLookup,
  ): Promise<DeadLetterIndexLookup> {
    this.lookups.push(known);
    return { read: letters.length };
  }

  async record(entries: readonly DeadLetterIndexEntry[]): Promise<void> {
    this.records.push(entries.length);
    if (entries.every((e) => e.dlq !== undefined)) this.sets.add(setOf(entries));
  }
}

describe("a redelivered batch of dead letters", () => {
  it("writes no DLQ copy and no index item again when the index holds exactly these dead letters", async () => {
    const index = new RememberingIndex();
    const sink = new MemoryMessageSink();
    const archive = new MemoryArchive();
    const batch = buildEvent([invalid(1), invalid(2), invalid(3)]);

    const first = await processorWithIndex(index, sink, archive).process(batch, lambdaContext());
    const again = await processorWithIndex(index, sink, archive).process(batch, lambdaContext());

    expect(first.response).toEqual({ batchItemFailures: [] });
    expect(again.response).toEqual({ batchItemFailures: [] });
    expect(again.outcomes.map((o) => o.kind)).toEqual(["dead-lettered", "dead-lettered", "dead-lettered"]);
    expect(again.stats.deadLettered).toBe(3);
    // One copy each, from the first delivery; one index write, the first delivery's.
    expect(sink.messages("employees.dlq")).toHaveLength(3);
    expect(index.records).toEqual([3]);
    // The archive (written before the index is asked) still holds every dead letter.
    expect(archive.envelopes().map((e) => e.source.offset)).toEqual([1, 2, 3]);
  });

  it("writes everything again for a batch cut differently, whose set the index has not seen", async () => {
    const index = new RememberingIndex();
    const sink = new MemoryMessageSink();

    await processorWithIndex(index, sink).process(buildEvent([invalid(1), invalid(2)]), lambdaContext());
    await processorWithIndex(index, sink).process(
      buildEvent([invalid(1), invalid(2), invalid(3)]),
      lambdaContext(),
    );

    expect(sink.messages("employees.dlq")).toHaveLength(5);
    expect(index.records).toEqual([2, 3]);
  });

  it("asks while the archive object is written, once, so a first delivery waits for no extra read", async () => {
    const index = new RememberingIndex();
    class SlowArchive extends MemoryArchive {
      override async put(key: string, envelopes: Parameters<MemoryArchive["put"]>[1]): Promise<void> {
        index.events.push("put started");
        await new Promise((resolve) => setTimeout(resolve, 5));
        index.events.push("put done");
        return super.put(key, envelopes);
      }
    }
    // A storm, and a partition that starts with a good record: either way all its letters publish together.
    for (const batch of [
      [invalid(1), invalid(2)],
      [{ ...invalid(3), value: { "Employee-Number": 3, name: "E", age: 30 } }, invalid(4)],
    ]) {
      index.events.length = 0;
      await processorWithIndex(index, new MemoryMessageSink(), new SlowArchive()).process(
        buildEvent(batch),
        lambdaContext(),
      );

      expect(index.events.filter((e) => e === "indexedBefore")).toHaveLength(1);
      expect(index.events.indexOf("indexedBefore")).toBeLessThan(index.events.indexOf("put done"));
    }
  });

  it("hands what the check read to the look-ahead, so the first delivery reads nothing twice", async () => {
    const index = new RememberingIndex();

    await processorWithIndex(index, new MemoryMessageSink()).process(
      buildEvent([invalid(1)]),
      lambdaContext(),
    );

    expect(index.lookups).toEqual([{ markersRead: 1 }]);
  });

  it("takes the full path, losing nothing, when the index cannot answer", async () => {
    const index = new RememberingIndex("fails");
    const sink = new MemoryMessageSink();
    const batch = buildEvent([invalid(1), invalid(2)]);

    await processorWithIndex(index, sink).process(batch, lambdaContext());
    const again = await processorWithIndex(index, sink).process(batch, lambdaContext());

    expect(again.response).toEqual({ batchItemFailures: [] });
    expect(sink.messages("employees.dlq")).toHaveLength(4);
    expect(index.records).toEqual([2, 2]);
  });
});
