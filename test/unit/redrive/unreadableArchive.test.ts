import { gzipSync } from "node:zlib";
import { InvalidObjectState, NoSuchKey, type S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import type { DeadLetterEnvelope } from "../../../functions/lib/core/deadLetter";
import { TransientError } from "../../../functions/lib/core/errors";
import { S3EnvelopeStore } from "../../../functions/lib/redrive/adapters/S3EnvelopeStore";
import { ArchiveUnreadableError, RedriveFailedError } from "../../../functions/lib/redrive/errors";
import { IndexReplaySource } from "../../../functions/lib/redrive/IndexReplaySource";
import { Redriver } from "../../../functions/lib/redrive/Redriver";
import type { RecordReport } from "../../../functions/lib/redrive/types";
import { MemoryMessageSink } from "../../doubles/memorySinks";
import { deadLetter, MemoryCatalog, MemoryRuns, MemoryTopics } from "./memoryPorts";
import { redriveRequest } from "./redriveRequests";

/**
 * The errors S3 answers a GetObject with, in the shapes @aws-sdk/client-s3 throws them: the SDK's own
 * exception classes where the operation models one (InvalidObjectState, NoSuchKey), the service
 * exception with the error code as its name otherwise (AccessDenied).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
 */
const S3_FAULTS = {
  glacier: () =>
    new InvalidObjectState({
      message: "The operation is not valid for the object's storage class",
      $metadata: { httpStatusCode: 403 },
      StorageClass: "GLACIER",
    }),
  accessDenied: () =>
    new S3ServiceException({
      name: "AccessDenied",
      $fault: "client",
      message: "Access Denied",
      $metadata: { httpStatusCode: 403 },
    }),
  noSuchKey: () =>
    new NoSuchKey({ message: "The specified key does not exist.", $metadata: { httpStatusCode: 404 } }),
  slowDown: () =>
    new S3ServiceException({
      name: "SlowDown",
      $fault: "server",
      message: "Please reduce your request rate.",
      $metadata: { httpStatusCode: 503 },
    }),
} as const;

type Answer = Error | Buffer;

/** An S3 client whose GetObject answers per key: an object body, or the error S3 would send. */
function fakeS3(answers: ReadonlyMap<string, Answer>): { client: S3Client; gets: string[] } {
  const gets: string[] = [];
  const client = {
    send: async (command: { input: { Key?: string } }) => {
      const key = command.input.Key ?? "";
      gets.push(key);
      const answer = answers.get(key);
      if (answer === undefined) throw S3_FAULTS.noSuchKey();
      if (answer instanceof Error) throw answer;
      return { Body: { transformToByteArray: async () => new Uint8Array(answer) } };
    },
  } as unknown as S3Client;
  return { client, gets };
}

const archived = (...envelopes: DeadLetterEnvelope[]) =>
  gzipSync(envelopes.map((e) => JSON.stringify(e)).join("\n"));

const location = (letter: ReturnType<typeof deadLetter>) => ({
  bucket: letter.view.archiveBucket,
  key: letter.view.archiveKey,
  line: 0,
  id: letter.view.id,
});

describe("S3EnvelopeStore on an object it cannot read", () => {
  const letter = deadLetter("employees", 1);

  it.each([
    ["archived to GLACIER", S3_FAULTS.glacier(), /archived in storage class GLACIER: restore it/],
    ["access denied", S3_FAULTS.accessDenied(), /access denied.*s3:GetObject/],
    ["not gzip JSON Lines", Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad]), /not a readable archive/],
    ["gzip of something else", gzipSync("not json\n"), /line 1 is not a JSON envelope/],
  ])("reports an object %s as that letter's ArchiveUnreadableError", async (_, answer, reason) => {
    const { client } = fakeS3(new Map([[letter.view.archiveKey, answer]]));
    const store = new S3EnvelopeStore({ client });

    const error = await store.get(location(letter)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ArchiveUnreadableError);
    expect((error as Error).name).toBe("ArchiveUnreadableError");
    expect((error as Error).message).toContain(`s3://${letter.view.archiveBucket}/${letter.view.archiveKey}`);
    expect((error as Error).message).toMatch(reason);
  });

  it("answers undefined for a key that is gone (NoSuchKey), as before", async () => {
    const { client } = fakeS3(new Map());

    expect(await new S3EnvelopeStore({ client }).get(location(letter))).toBeUndefined();
  });

  it("lets a transient fault (SlowDown) through: the run stops and a resume retries it", async () => {
    const { client } = fakeS3(new Map([[letter.view.archiveKey, S3_FAULTS.slowDown()]]));

    const error = await new S3EnvelopeStore({ client }).get(location(letter)).catch((e: unknown) => e);

    expect(error).not.toBeInstanceOf(ArchiveUnreadableError);
    expect((error as { retriable?: boolean }).retriable).toBe(true);
  });

  it("reads an unreadable object once per run, not once per letter in it", async () => {
    const { client, gets } = fakeS3(new Map([[letter.view.archiveKey, S3_FAULTS.glacier()]]));
    const store = new S3EnvelopeStore({ client });

    await store.get(location(letter)).catch(() => undefined);
    await store.get({ ...location(letter), line: 1, id: "employees:0:2" }).catch(() => undefined);

    expect(gets).toHaveLength(1);
  });
});

describe("a redrive over unreadable archive objects", () => {
  const NOW = Date.UTC(2026, 10, 22, 12);
  // One archive object per letter (deadLetter() gives each its own key), oldest first: 1 .. 5.
  const letters = [1, 2, 3, 4, 5].map((o) => deadLetter("employees", o));
  const [one, two, three, four, five] = letters as [
    (typeof letters)[0],
    (typeof letters)[0],
    (typeof letters)[0],
    (typeof letters)[0],
    (typeof letters)[0],
  ];

  function setup(answers: Map<string, Answer>, sink = new MemoryMessageSink()) {
    const catalog = new MemoryCatalog(letters.map((l) => l.view));
    const runs = new MemoryRuns();
    const { client } = fakeS3(answers);
    const envelopes = new S3EnvelopeStore({ client });
    const redriver = new Redriver({
      sink,
      runs,
      topics: new MemoryTopics(new Set(["employees"])),
      sourceFor: (r) => new IndexReplaySource(catalog, envelopes, r.filter),
      now: () => NOW,
      sleep: async () => undefined,
      newRunId: () => "run-1",
    });
    return { catalog, runs, redriver, sink };
  }

  const request = redriveRequest();

  const readable = (...ls: (typeof letters)[number][]) =>
    ls.map((l) => [l.view.archiveKey, archived(l.envelope)] as const);

  it("counts each unreadable letter as failed with its reason, names it in the summary, replays the rest", async () => {
    const answers = new Map<string, Answer>([
      ...readable(two, four),
      [one.view.archiveKey, S3_FAULTS.glacier()],
      [three.view.archiveKey, S3_FAULTS.accessDenied()],
      [five.view.archiveKey, Buffer.from("garbage")],
    ]);
    const { redriver, sink, catalog } = setup(answers);
    const reports: RecordReport[] = [];

    const summary = await redriver.start(request, { onRecord: (r) => reports.push(r) });

    expect(summary.state).toBe("completed");
    expect(summary.counts).toMatchObject({ selected: 5, replayed: 2, failed: 3 });
    expect(sink.messages("employees").map((m) => m.key?.toString())).toEqual(["k-2", "k-4"]);
    expect(summary.failures.map((f) => f.id)).toEqual([one.view.id, three.view.id, five.view.id]);
    expect(summary.failures[0]?.reason).toMatch(/GLACIER/);
    expect(summary.failures[1]?.reason).toMatch(/access denied/);
    expect(reports.filter((r) => r.action === "failed").map((r) => r.id)).toEqual(
      summary.failures.map((f) => f.id),
    );
    expect(catalog.letters.get(one.view.id)?.status).toBe("new");
  });

  it("a resume goes past the unreadable letter: reported failed again, newer letters replayed", async () => {
    const answers = new Map<string, Answer>([
      ...readable(two, three, four, five),
      [one.view.archiveKey, S3_FAULTS.glacier()],
    ]);
    // The process dies right after the broker took the first batch, before it was marked.
    const memory = new MemoryMessageSink();
    let sends = 0;
    const crashing = {
      send: async (...args: Parameters<MemoryMessageSink["send"]>) => {
        sends += 1;
        if (sends === 1) throw new TransientError("connection lost");
        return memory.send(...args);
      },
    };
    const first = setup(answers, memory);
    const crashed = new Redriver({
      sink: crashing,
      runs: first.runs,
      topics: new MemoryTopics(new Set(["employees"])),
      sourceFor: (r) =>
        new IndexReplaySource(
          first.catalog,
          new S3EnvelopeStore({ client: fakeS3(answers).client }),
          r.filter,
        ),
      now: () => NOW,
      sleep: async () => undefined,
      newRunId: () => "run-1",
    });

    const crash = await crashed.start(request).catch((e: unknown) => e);
    expect(crash).toBeInstanceOf(RedriveFailedError);

    const resumed = await first.redriver.resume("run-1");

    expect(resumed.state).toBe("completed");
    expect(resumed.counts).toMatchObject({ replayed: 4, failed: 1 });
    expect(resumed.failures).toEqual([{ id: one.view.id, reason: expect.stringMatching(/GLACIER/) }]);
    expect(memory.messages("employees").map((m) => m.key?.toString())).toEqual(["k-2", "k-3", "k-4", "k-5"]);
    expect(first.catalog.letters.get(five.view.id)?.status).toBe("redriven");
    expect(first.catalog.letters.get(one.view.id)?.status).toBe("new");
  });

  it("still stops the run on a transient S3 fault, resumable from where it stopped", async () => {
    const answers = new Map<string, Answer>([
      ...readable(one, three, four, five),
      [two.view.archiveKey, S3_FAULTS.slowDown()],
    ]);
    const { redriver, sink, runs } = setup(answers);

    const error = await redriver.start(request).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RedriveFailedError);
    expect(sink.messages("employees")).toHaveLength(0);
    expect(runs.runs.get("run-1")?.state).toBe("failed");
  });
});
