import { describe, expect, it } from "vitest";
import { DEAD_LETTER_HEADERS, REDRIVE_HEADERS } from "../../../functions/lib/core/headers";
import { decideReplay } from "../../../functions/lib/redrive/replayDecision";
import { buildReplayMessage, redriveCountInHeaders } from "../../../functions/lib/redrive/replayMessage";

const b64 = (text: string | Buffer) => Buffer.from(text).toString("base64");
const BINARY = Buffer.from([0xff, 0x00, 0xfe]);

describe("buildReplayMessage", () => {
  const record = {
    key: b64("emp-1"),
    value: b64('{"age":-1}'),
    headers: [
      { name: "traceId", value: b64(BINARY) },
      { name: DEAD_LETTER_HEADERS.stage, value: b64("validate") },
      { name: REDRIVE_HEADERS.count, value: b64("1") },
      { name: REDRIVE_HEADERS.deadLetterId, value: b64("employees:0:1") },
      { name: "traceId", value: b64("second") },
    ],
  };
  const at = new Date("2026-11-22T12:00:00.000Z");

  it("keeps the original bytes and headers (repeats included), replaces old dead-letter and redrive headers", () => {
    const message = buildReplayMessage(record, {
      deadLetterId: "employees:0:9",
      redriveCount: 2,
      redrivenAt: at,
      preferredPartition: 0,
    });

    expect(message.key).toEqual(Buffer.from("emp-1"));
    expect(message.value).toEqual(Buffer.from('{"age":-1}'));
    expect(message.preferredPartition).toBe(0);
    expect(message.timestamp).toBeUndefined();
    expect(message.headers.map((h) => [h.name, h.value.toString("base64")])).toEqual([
      ["traceId", b64(BINARY)],
      ["traceId", b64("second")],
      [REDRIVE_HEADERS.count, b64("2")],
      [REDRIVE_HEADERS.deadLetterId, b64("employees:0:9")],
      [REDRIVE_HEADERS.redrivenAt, b64("2026-11-22T12:00:00.000Z")],
    ]);
  });

  it("replays a tombstone and a missing key as null", () => {
    const message = buildReplayMessage(
      { key: null, value: null, headers: [] },
      { deadLetterId: "t:0:1", redriveCount: 1, redrivenAt: at },
    );

    expect(message.key).toBeNull();
    expect(message.value).toBeNull();
    expect("preferredPartition" in message).toBe(false);
  });

  it("reads the count a record carries, ignoring garbage", () => {
    expect(redriveCountInHeaders(record)).toBe(1);
    expect(
      redriveCountInHeaders({ ...record, headers: [{ name: REDRIVE_HEADERS.count, value: b64("x") }] }),
    ).toBe(0);
    expect(redriveCountInHeaders({ ...record, headers: [] })).toBe(0);
  });
});

describe("decideReplay: the loop guard", () => {
  it.each([
    [{ status: "new", redriveCount: 0 }, 3, { kind: "replay", redriveCount: 1 }],
    [{ status: "new", redriveCount: 2 }, 3, { kind: "replay", redriveCount: 3 }],
    [{ status: "new", redriveCount: 3 }, 3, { kind: "refuse" }],
    [{ status: "new", redriveCount: 1 }, 1, { kind: "refuse" }],
    [{ status: "redriven", redriveCount: 0 }, 3, { kind: "skip", reason: "already redriven" }],
    [{ status: "discarded", redriveCount: 0 }, 3, { kind: "skip", reason: "already discarded" }],
  ] as const)("%j with limit %i -> %j", (letter, limit, expected) => {
    expect(decideReplay(letter, limit)).toMatchObject(expected);
  });
});
