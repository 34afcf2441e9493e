/**
 * The dead-letter index's look-ahead (issue 11, dead-letter storms): the index reads what it holds
 * of a partition's dead letters while their DLQ copies are sent, and the write that follows uses
 * that read once; a retry of the write reads again.
 */
import { describe, expect, it } from "vitest";
import { TransientError } from "../../../../functions/lib/core/errors";
import type {
  DeadLetterIndex,
  DeadLetterIndexEntry,
  DeadLetterIndexLetter,
  DeadLetterIndexLookup,
  DeliveryReceipt,
} from "../../../../functions/lib/core/ports";
import type { OutgoingMessage } from "../../../../functions/lib/core/types";
import { MemoryMessageSink } from "../../../doubles/memorySinks";
import { buildEvent, invalidEmployee, lambdaContext } from "../../../fixtures";
import { processorWithIndex } from "../../../support/indexedProcessor";

const invalid = (offset: number) => invalidEmployee(offset);

/** An index that records the order of events and what each write was given. */
class LookingAheadIndex implements DeadLetterIndex {
  readonly events: string[] = [];
  readonly writes: (DeadLetterIndexLookup | undefined)[] = [];
  readonly lookedUp: DeadLetterIndexLetter[][] = [];

  constructor(private readonly writeFailures = 0) {}

  async lookup(letters: readonly DeadLetterIndexLetter[]): Promise<DeadLetterIndexLookup> {
    this.events.push("lookup");
    this.lookedUp.push([...letters]);
    return { read: letters.length };
  }

  async record(_entries: readonly DeadLetterIndexEntry[], lookup?: DeadLetterIndexLookup): Promise<void> {
    this.events.push("record");
    this.writes.push(lookup);
    if (this.writes.length <= this.writeFailures) throw new TransientError("throttled");
  }
}

/** A sink that notes when the DLQ copies are sent, in the index's list of events. */
class NotingSink extends MemoryMessageSink {
  constructor(private readonly events: string[]) {
    super();
  }

  override async send(topic: string, messages: readonly OutgoingMessage[]): Promise<DeliveryReceipt[]> {
    this.events.push(`send ${topic}`);
    return super.send(topic, messages);
  }
}

function processorWith(index: LookingAheadIndex) {
  return processorWithIndex(index, new NotingSink(index.events));
}

describe("the dead-letter index's look-ahead", () => {
  it("starts before the DLQ copies are sent and hands its result to the index write", async () => {
    const index = new LookingAheadIndex();

    const result = await processorWith(index).process(
      buildEvent([invalid(1), invalid(2), invalid(3)]),
      lambdaContext(),
    );

    expect(result.response).toEqual({ batchItemFailures: [] });
    expect(index.events).toEqual(["lookup", "send employees.dlq", "record"]);
    expect(index.lookedUp[0]?.map((l) => [l.envelope.source.offset, l.archiveLine])).toEqual([
      [1, 0],
      [2, 1],
      [3, 2],
    ]);
    expect(index.writes).toEqual([{ read: 3 }]);
  });

  it("serves the first attempt of the write only: a retry after a failed write reads for itself", async () => {
    const index = new LookingAheadIndex(1);

    const result = await processorWith(index).process(buildEvent([invalid(1)]), lambdaContext());

    expect(result.response).toEqual({ batchItemFailures: [] });
    expect(index.writes).toEqual([{ read: 1 }, undefined]);
  });
});
