import { describe, expect, it } from "vitest";
import { parseDeadLetterFilter } from "../../../functions/lib/redrive/deadLetterFilter";
import { DeadLetterStatsBuilder } from "../../../functions/lib/redrive/deadLetterStats";
import { discardDeadLetters } from "../../../functions/lib/redrive/discardDeadLetters";
import type { RedriveSummary } from "../../../functions/lib/redrive/types";
import { flagName, parseCommandLine } from "../../../tools/dlq/commandLine";
import { commandConfig } from "../../../tools/dlq/connection";
import { pageToken, renderStats, renderSummary, sortKeyOfToken } from "../../../tools/dlq/format";
import { bar } from "../../../tools/dlq/progress";
import { runDlq } from "../../../tools/dlq/runDlq";
import { renderTable } from "../../../tools/dlq/table";
import { recordingIo } from "./fixtures";
import { deadLetter, MemoryCatalog } from "./memoryPorts";

describe("dlq bad input: one line, exit 2, before any service is contacted", () => {
  it.each([
    [["frobnicate"], 'dlq: unknown command "frobnicate": use one of list, show, stats, redrive, discard'],
    [["list", "--colour"], "dlq: list: Unknown option '--colour'"],
    [["list", "--since"], "dlq: list: Option '--since <value>' argument missing"],
    [["list", "--since", "yesterday"], 'dlq: --since "yesterday" is not a time'],
    [
      ["list", "--since", "2026-11-22", "--until", "2026-11-01"],
      "dlq: --since (2026-11-22T00:00:00.000Z) must be before --until",
    ],
    [["list", "--limit", "0"], 'dlq: --limit must be a whole number from 1 to 1000, got "0"'],
    [["list", "extra"], 'dlq: list takes no arguments, got "extra"'],
    [["show"], "dlq: show takes one dead-letter id"],
    [["show", "nope"], 'dlq: "nope" is not a dead-letter id'],
    [["redrive", "--rate", "fast"], 'dlq: --rate must be a whole number from 1 to 100000, got "fast"'],
    [["redrive", "--to-topic", "a b"], 'dlq: --to-topic "a b" is not a Kafka topic name'],
    [["redrive", "--from-on-failure", "bucket"], 'dlq: --from-on-failure "bucket" is not an S3 location'],
    [["discard"], "dlq: discard needs ids or a filter"],
    [["list", "--dynamodb-endpoint", "localhost:8000"], "dlq: DYNAMODB_ENDPOINT must be an http(s) URL"],
  ])("%j", async (argv, message) => {
    const { io, out, err } = recordingIo();

    const code = await runDlq(argv, io);

    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).toContain(message);
    expect(err[0]).not.toMatch(/\n|\s+at\s/);
  });

  it("prints help with exit 0", async () => {
    const { io, out } = recordingIo();

    expect(await runDlq(["--help"], io)).toBe(0);
    expect(await runDlq(["redrive", "--help"], io)).toBe(0);
    expect(out.join("\n")).toContain("Usage: dlq redrive");
  });
});

describe("command line", () => {
  it("parses ids and flags", () => {
    expect(parseCommandLine(["redrive", "t:0:1", "t:0:2", "--dry-run", "--rate", "5"])).toEqual({
      command: "redrive",
      values: { "dry-run": true, rate: "5" },
      positionals: ["t:0:1", "t:0:2"],
    });
  });

  it("spells validator fields as flags", () => {
    expect(["errorClass", "toTopic", "maxRedrives", "onFailure", "since"].map(flagName)).toEqual([
      "--error-class",
      "--to-topic",
      "--max-redrives",
      "--from-on-failure",
      "--since",
    ]);
  });

  it("defaults to the local stack and uses AWS endpoints with --aws", () => {
    const local = commandConfig(parseCommandLine(["list"]), {});
    const aws = commandConfig(parseCommandLine(["list", "--aws", "--region", "eu-west-1"]), {});
    const override = commandConfig(
      parseCommandLine(["list", "--aws", "--s3-endpoint", "http://minio:9000"]),
      {},
    );

    expect(local.config.aws).toMatchObject({
      s3Endpoint: "http://127.0.0.1:9000",
      dynamodbEndpoint: "http://127.0.0.1:8000",
    });
    expect(aws.config.aws).toEqual({
      region: "eu-west-1",
      s3Endpoint: undefined,
      dynamodbEndpoint: undefined,
      connectTimeoutMs: 2_000,
      requestTimeoutMs: 5_000,
    });
    expect(override.config.aws.s3Endpoint).toBe("http://minio:9000");
  });

  it("round-trips page tokens and rejects made-up ones", () => {
    const key = "2026-11-22T10:00:00.000Z#employees:1:42";

    expect(sortKeyOfToken(pageToken(key))).toBe(key);
    expect(sortKeyOfToken("garbage")).toBeUndefined();
  });

  it("round-trips page tokens of tagged ids", () => {
    const key = "2026-11-22T10:00:00.000Z#employees:1:42@5d41402abc";

    expect(sortKeyOfToken(pageToken(key))).toBe(key);
  });
});

describe("the redrive summary", () => {
  const summary: RedriveSummary = {
    runId: "run-1",
    source: "index",
    dryRun: false,
    state: "completed",
    counts: { selected: 13, replayed: 1, refused: 0, skipped: 0, failed: 12 },
    total: { selected: 13, replayed: 1, refused: 0, skipped: 0, failed: 12 },
    byTopic: { employees: 1 },
    resumed: false,
    startedAt: "2026-11-22T12:00:00.000Z",
    finishedAt: "2026-11-22T12:00:01.000Z",
    stoppedBecause: undefined,
    failures: Array.from({ length: 12 }, (_, i) => ({
      id: `employees:0:${i}@5d41402abc`,
      reason: `s3://b/k${i} is archived in storage class GLACIER: restore it`,
    })),
  };

  it("names the letters that failed and why, the first ten, and how many more", () => {
    const lines = renderSummary(summary, 1);

    expect(lines).toContain(
      "  failed employees:0:0@5d41402abc: s3://b/k0 is archived in storage class GLACIER: restore it",
    );
    expect(lines.filter((l) => l.startsWith("  failed "))).toHaveLength(10);
    expect(lines).toContain("  … and 2 more failed (listed above, or with --json)");
  });
});

describe("rendering", () => {
  it("fits a table to the width by cutting the flexible column", () => {
    const lines = renderTable(
      [
        { header: "ID", value: (r: { id: string; error: string }) => r.id },
        { header: "ERROR", value: (r) => r.error, flexible: true },
      ],
      [{ id: "employees:0:1", error: "SchemaViolationError: age: Too small: expected number to be >0" }],
      30,
    );

    expect(lines).toEqual(["ID             ERROR", "employees:0:1  SchemaViolatio…"]);
    expect(lines.every((l) => l.length <= 30)).toBe(true);
  });

  it("draws a progress bar", () => {
    expect(bar(5, 10)).toBe(`[${"█".repeat(12)}${"░".repeat(12)}]  50%`);
  });

  it("counts stats by topic, stage, day and status", () => {
    const builder = new DeadLetterStatsBuilder();
    for (const letter of [
      { topic: "a", stage: "validate", day: "2026-11-20", status: "new" },
      { topic: "b", stage: "validate", day: "2026-11-21", status: "new" },
      { topic: "b", stage: "decode", day: "2026-11-21", status: "redriven" },
    ])
      builder.add(letter);

    const stats = builder.build();

    expect(stats).toEqual({
      total: 3,
      byTopic: { b: 2, a: 1 },
      byStage: { validate: 2, decode: 1 },
      byDay: { "2026-11-21": 2, "2026-11-20": 1 },
      byStatus: { new: 2, redriven: 1 },
      byTopicAndStage: { "b / decode": 1, "a / validate": 1, "b / validate": 1 },
    });
    expect(renderStats(stats, 80)[0]).toBe("3 dead letters");
  });
});

describe("discardDeadLetters", () => {
  it("discards new letters only, with the reason, and leaves the rest", async () => {
    const catalog = new MemoryCatalog([
      deadLetter("employees", 1).view,
      deadLetter("employees", 2, { status: "redriven" }).view,
    ]);
    const filter = parseDeadLetterFilter(
      { ids: ["employees:0:1", "employees:0:2"] },
      { now: new Date(), defaultStatuses: ["new"] },
    );

    const summary = await discardDeadLetters(catalog, filter, {
      reason: "bad test data",
      dryRun: false,
      now: () => new Date(0),
    });

    expect(summary).toEqual({ selected: 2, discarded: 1, skipped: 1, dryRun: false });
    expect(catalog.letters.get("employees:0:1")).toMatchObject({
      status: "discarded",
      discard: { reason: "bad test data" },
    });
    expect(catalog.letters.get("employees:0:2")?.status).toBe("redriven");
  });
});
