import { describe, expect, it } from "vitest";
import { KafkaMessageSink } from "../../../functions/lib/adapters/KafkaMessageSink";
import { REDRIVE_HEADERS } from "../../../functions/lib/core/headers";
import { IndexReplaySource } from "../../../functions/lib/redrive/IndexReplaySource";
import { Redriver } from "../../../functions/lib/redrive/Redriver";
import { FakeBroker, fakeCluster, kafkaOn } from "../../doubles/fakeKafkaCluster";
import { deadLetter, MemoryCatalog, MemoryEnvelopes, MemoryRuns, MemoryTopics } from "./memoryPorts";
import { redriveRequest } from "./redriveRequests";

describe("redrive --to-topic of keyless records while one partition leader fails over", () => {
  it("writes every replay, and marks each letter with the partition and offset that hold it", async () => {
    const topic = "employees.retry";
    // Both answer after a moment; the electing one fails its first request, as in a leader election.
    const answering = new FakeBroker(1, { delayMs: 5 });
    const electing = new FakeBroker(2, { failFirst: 1, delayMs: 5 });
    const leaders = new Map([
      [0, answering],
      [1, electing],
    ]);
    const sink = new KafkaMessageSink({ kafka: kafkaOn(fakeCluster(topic, () => leaders)) });
    // Three keyless letters: an odd count, so a second pass of a round-robin moves every one.
    const letters = [1, 2, 3].map((offset) => {
      const letter = deadLetter("employees", offset);
      return {
        ...letter,
        envelope: { ...letter.envelope, record: { ...letter.envelope.record, key: null } },
      };
    });
    const catalog = new MemoryCatalog(letters.map((l) => l.view));
    const envelopes = new MemoryEnvelopes();
    for (const l of letters) envelopes.envelopes.set(l.view.id, l.envelope);
    const redriver = new Redriver({
      sink,
      runs: new MemoryRuns(),
      topics: new MemoryTopics(new Set(["employees", topic])),
      sourceFor: (r) => new IndexReplaySource(catalog, envelopes, r.filter),
      now: () => Date.UTC(2026, 10, 22, 12),
      sleep: async () => undefined,
    });

    const summary = await redriver.start(redriveRequest({ toTopic: topic, batchSize: 10 }));

    await sink.disconnect();

    expect(electing.requests).toBeGreaterThan(1);
    expect(summary.counts).toMatchObject({ replayed: 3, failed: 0 });
    const idAt = (partition: number, offset: number) => {
      const broker = partition === 0 ? answering : electing;
      const header = broker.logs.get(partition)?.[offset]?.headers?.[REDRIVE_HEADERS.deadLetterId];
      return header === undefined ? undefined : String(header);
    };
    const written = [0, 1].flatMap((p) =>
      ((p === 0 ? answering : electing).logs.get(p) ?? []).map((_, o) => idAt(p, o)),
    );
    for (const letter of letters) {
      // Every letter marked redriven was written, at the very place its mark names.
      expect(written).toContain(letter.view.id);
      const mark = catalog.letters.get(letter.view.id)?.redrive;
      expect(mark).toBeDefined();
      expect(idAt(mark?.partition ?? -1, mark?.offset ?? -1)).toBe(letter.view.id);
    }
  });
});
