import { describe, expect, it } from "vitest";
import { ProduceRejectedError, TransientError } from "../../../functions/lib/core/errors";
import { REDRIVE_HEADERS } from "../../../functions/lib/core/headers";
import type { MessageSink } from "../../../functions/lib/core/ports";
import {
  RedriveFailedError,
  RedriveInputError,
  UnknownTopicError,
} from "../../../functions/lib/redrive/errors";
import { IndexReplaySource } from "../../../functions/lib/redrive/IndexReplaySource";
import { Redriver } from "../../../functions/lib/redrive/Redriver";
import type { RecordReport } from "../../../functions/lib/redrive/types";
import { MemoryMessageSink } from "../../doubles/memorySinks";
import { deadLetter, MemoryCatalog, MemoryEnvelopes, MemoryRuns, MemoryTopics } from "./memoryPorts";
import { redriveRequest } from "./redriveRequests";

const NOW = Date.UTC(2026, 10, 22, 12);

function setup(
  letters: ReturnType<typeof deadLetter>[],
  options: { sink?: MessageSink; topics?: string[]; now?: () => number } = {},
) {
  const catalog = new MemoryCatalog(letters.map((l) => l.view));
  const envelopes = new MemoryEnvelopes();
  for (const l of letters) envelopes.envelopes.set(l.envelope.id, l.envelope);
  const runs = new MemoryRuns();
  const sink = options.sink ?? new MemoryMessageSink();
  const sleeps: number[] = [];
  let clock = NOW;
  const redriver = new Redriver({
    sink,
    runs,
    topics: new MemoryTopics(new Set(options.topics ?? ["employees", "employees.retry"])),
    sourceFor: (r) => new IndexReplaySource(catalog, envelopes, r.filter),
    now: options.now ?? (() => clock),
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    newRunId: () => "run-1",
  });
  return { catalog, envelopes, runs, sink, redriver, sleeps };
}

const header = (message: { headers: readonly { name: string; value: Buffer }[] }, name: string) =>
  message.headers.find((h) => h.name === name)?.value.toString();

describe("Redriver", () => {
  it("replays the original bytes oldest first with redrive headers, then marks each letter redriven", async () => {
    const letters = [deadLetter("employees", 7), deadLetter("employees", 3)];
    const { redriver, sink, catalog } = setup(letters);

    const summary = await redriver.start(redriveRequest());

    const sent = (sink as MemoryMessageSink).messages("employees");
    expect(sent.map((m) => m.key?.toString())).toEqual(["k-3", "k-7"]);
    expect(sent[0]?.value?.toString()).toBe('{"n":3}');
    expect(header(sent[0] as never, "traceId")).toBe("abc");
    expect(header(sent[0] as never, REDRIVE_HEADERS.count)).toBe("1");
    expect(header(sent[0] as never, REDRIVE_HEADERS.deadLetterId)).toBe("employees:0:3");
    expect(sent[0]?.preferredPartition).toBe(0);
    expect(summary.counts).toEqual({ selected: 2, replayed: 2, refused: 0, skipped: 0, failed: 0 });
    expect(summary.state).toBe("completed");
    expect(catalog.letters.get("employees:0:3")).toMatchObject({ status: "redriven", redriveCount: 1 });
    expect(catalog.letters.get("employees:0:3")?.redrive).toMatchObject({
      runId: "run-1",
      topic: "employees",
    });
  });

  it("refuses records redriven too often, reading the count from the index and from the headers", async () => {
    const byIndex = deadLetter("employees", 1, { redriveCount: 3 });
    const byHeader = deadLetter("employees", 2);
    const headerOnly = {
      ...byHeader,
      envelope: {
        ...byHeader.envelope,
        record: {
          ...byHeader.envelope.record,
          headers: [{ name: REDRIVE_HEADERS.count, value: Buffer.from("5").toString("base64") }],
        },
      },
    };
    const { redriver, sink, catalog } = setup([byIndex, headerOnly]);
    const reports: RecordReport[] = [];

    const summary = await redriver.start(redriveRequest(), { onRecord: (r) => reports.push(r) });

    expect(summary.counts).toMatchObject({ replayed: 0, refused: 2 });
    expect(reports.map((r) => r.action)).toEqual(["refused", "refused"]);
    expect(reports[0]?.detail).toContain("redriven 3 times already (limit 3)");
    expect((sink as MemoryMessageSink).messages("employees")).toHaveLength(0);
    expect(catalog.letters.get("employees:0:1")?.status).toBe("new");
  });

  it("replays a twice-redriven record once more with count 3", async () => {
    const { redriver, sink } = setup([deadLetter("employees", 1, { redriveCount: 2 })]);

    await redriver.start(redriveRequest());

    expect(header((sink as MemoryMessageSink).messages("employees")[0] as never, REDRIVE_HEADERS.count)).toBe(
      "3",
    );
  });

  it("changes nothing in a dry run and reports what would go", async () => {
    const { redriver, sink, catalog, runs } = setup([deadLetter("employees", 1)]);
    const reports: RecordReport[] = [];

    const summary = await redriver.start(redriveRequest({ dryRun: true }), {
      onRecord: (r) => reports.push(r),
    });

    expect(summary.counts.replayed).toBe(1);
    expect(reports[0]).toMatchObject({ action: "would-replay", topic: "employees" });
    expect((sink as MemoryMessageSink).calls).toBe(0);
    expect(catalog.letters.get("employees:0:1")?.status).toBe("new");
    expect(runs.saves).toBe(0);
  });

  it("replays to --to-topic without a preferred partition", async () => {
    const { redriver, sink } = setup([deadLetter("employees", 1)]);

    const summary = await redriver.start(redriveRequest({ toTopic: "employees.retry" }));

    const [message] = (sink as MemoryMessageSink).messages("employees.retry");
    expect(message?.preferredPartition).toBeUndefined();
    expect(summary.byTopic).toEqual({ "employees.retry": 1 });
  });

  it("rejects an unknown destination topic before replaying anything", async () => {
    const { redriver, sink } = setup([deadLetter("employees", 1)]);

    await expect(redriver.start(redriveRequest({ toTopic: "nope" }))).rejects.toBeInstanceOf(
      UnknownTopicError,
    );
    expect((sink as MemoryMessageSink).calls).toBe(0);
  });

  it("stops at --max replayed records and says so", async () => {
    const { redriver } = setup([1, 2, 3, 4, 5].map((o) => deadLetter("employees", o)));

    const summary = await redriver.start(redriveRequest({ maxCount: 3 }));

    expect(summary.counts.replayed).toBe(3);
    expect(summary.state).toBe("completed");
    expect(summary.stoppedBecause).toContain("maximum of 3");
  });

  it("paces batches to the rate", async () => {
    const { redriver, sleeps } = setup([1, 2, 3, 4, 5, 6].map((o) => deadLetter("employees", o)));

    await redriver.start(redriveRequest({ ratePerSecond: 4, batchSize: 2 }));

    // Three batches of two at four per second: the second and third wait half a second each.
    expect(sleeps).toEqual([500, 500]);
  });

  it("fails a record the broker refuses alone, replays the others of its batch", async () => {
    const sink = new MemoryMessageSink((_, call) =>
      call === 1 || call === 3
        ? new ProduceRejectedError("broker rejected records: MESSAGE_TOO_LARGE")
        : undefined,
    );
    const { redriver, catalog } = setup([deadLetter("employees", 1), deadLetter("employees", 2)], { sink });

    const summary = await redriver.start(redriveRequest());

    expect(summary.counts).toMatchObject({ replayed: 1, failed: 1 });
    expect(catalog.letters.get("employees:0:2")?.status).toBe("new");
    expect(catalog.letters.get("employees:0:1")?.status).toBe("redriven");
  });

  it("skips explicit ids that are not new and says why", async () => {
    const { redriver } = setup([
      deadLetter("employees", 1, { status: "discarded" }),
      deadLetter("employees", 2),
    ]);
    const reports: RecordReport[] = [];

    const summary = await redriver.start(
      redriveRequest({ filter: { ...redriveRequest().filter, ids: ["employees:0:1", "employees:0:2"] } }),
      { onRecord: (r) => reports.push(r) },
    );

    expect(summary.counts).toMatchObject({ replayed: 1, skipped: 1 });
    expect(reports.find((r) => r.id === "employees:0:1")?.detail).toBe("already discarded");
  });

  it("resumes a crashed run: replays only what was not marked, and totals both attempts", async () => {
    const letters = [1, 2, 3, 4, 5, 6].map((o) => deadLetter("employees", o));
    let sends = 0;
    const memory = new MemoryMessageSink();
    // The second batch reaches the broker, then the process "dies" before marking it.
    const crashing: MessageSink = {
      send: async (topic, messages) => {
        const receipts = await memory.send(topic, messages);
        sends += 1;
        if (sends === 2) throw new TransientError("connection lost");
        return receipts;
      },
    };
    const first = setup(letters, { sink: crashing });

    const crash = await first.redriver.start(redriveRequest()).catch((e: unknown) => e);

    expect(crash).toBeInstanceOf(RedriveFailedError);
    expect((crash as RedriveFailedError).summary.counts.replayed).toBe(2);
    expect(first.runs.runs.get("run-1")).toMatchObject({ state: "failed", counts: { replayed: 2 } });

    const again = new Redriver({
      sink: memory,
      runs: first.runs,
      topics: new MemoryTopics(new Set(["employees"])),
      sourceFor: (r) => new IndexReplaySource(first.catalog, first.envelopes, r.filter),
      now: () => NOW + 60_000,
      sleep: async () => undefined,
    });
    const resumed = await again.resume("run-1");

    expect(resumed.resumed).toBe(true);
    expect(resumed.counts.replayed).toBe(4);
    expect(resumed.total.replayed).toBe(6);
    expect(first.runs.runs.get("run-1")).toMatchObject({ state: "completed", attempts: 2 });
    const ids = memory.messages("employees").map((m) => header(m, REDRIVE_HEADERS.deadLetterId));
    // Every letter went; only the batch in flight at the crash went twice (at-least-once).
    expect(new Set(ids).size).toBe(6);
    expect(ids).toHaveLength(8);
    expect([...first.catalog.letters.values()].every((l) => l.status === "redriven")).toBe(true);
  });

  it("stops between batches when asked (Ctrl-C, deadline) and can be resumed", async () => {
    const { redriver, runs } = setup([1, 2, 3, 4].map((o) => deadLetter("employees", o)));
    let batches = 0;

    const summary = await redriver.start(redriveRequest(), {
      onProgress: () => {
        batches += 1;
      },
      shouldStop: () => (batches >= 1 ? "interrupted by Ctrl-C" : undefined),
    });

    expect(summary).toMatchObject({ state: "interrupted", stoppedBecause: "interrupted by Ctrl-C" });
    expect(summary.counts.replayed).toBe(2);
    const resumed = await redriver.resume("run-1");
    expect(resumed.total.replayed).toBe(4);
    expect(runs.runs.get("run-1")?.state).toBe("completed");
  });

  it("does not replay letters that failed after the run started (no loop within a run)", async () => {
    const late = deadLetter("employees", 9, { minute: 60 * 30 });
    const { redriver } = setup([deadLetter("employees", 1), late], { now: () => Date.UTC(2026, 10, 20, 12) });

    const summary = await redriver.start(redriveRequest());

    expect(summary.counts.replayed).toBe(1);
  });

  it("refuses to resume a run that does not exist, as bad input", async () => {
    const { redriver } = setup([]);

    await expect(redriver.resume("nope")).rejects.toBeInstanceOf(RedriveInputError);
  });

  it("reports an envelope missing from the archive as failed and goes on", async () => {
    const { redriver, envelopes } = setup([deadLetter("employees", 1), deadLetter("employees", 2)]);
    envelopes.envelopes.delete("employees:0:1");

    const summary = await redriver.start(redriveRequest());

    expect(summary.counts).toMatchObject({ replayed: 1, failed: 1 });
  });
});
