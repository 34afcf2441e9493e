import { describe, expect, it } from "vitest";
import { DEAD_LETTER_STATUSES } from "../../../functions/lib/adapters/DynamoDeadLetterIndex";
import { STATUS_NAMES } from "../../../functions/lib/redrive/constants";
import {
  matchesFilter,
  parseDeadLetterFilter,
  selectsEverything,
} from "../../../functions/lib/redrive/deadLetterFilter";
import { RedriveInputError } from "../../../functions/lib/redrive/errors";
import { parseInstant } from "../../../functions/lib/redrive/instant";
import { parseRedriveInput } from "../../../functions/lib/redrive/redriveRequest";

const NOW = new Date("2026-11-22T12:00:00.000Z");

describe("parseInstant", () => {
  it.each([
    ["2026-11-20", "2026-11-20T00:00:00.000Z"],
    ["2026-11-20T10:00:00Z", "2026-11-20T10:00:00.000Z"],
    ["2026-11-20T10:00:00.5+02:00", "2026-11-20T08:00:00.500Z"],
    ["2026-11-20T10:00Z", "2026-11-20T10:00:00.000Z"],
    ["now", "2026-11-22T12:00:00.000Z"],
    ["30m", "2026-11-22T11:30:00.000Z"],
    ["24h", "2026-11-21T12:00:00.000Z"],
    ["7d", "2026-11-15T12:00:00.000Z"],
    ["2w", "2026-11-08T12:00:00.000Z"],
  ])("reads %s", (text, expected) => {
    expect(parseInstant(text, "--since", NOW)).toBe(expected);
  });

  it.each(["yesterday", "2026-02-30", "2026-13-01", "2026-11-20T10:00:00", "11/20/2026", "-1d", ""])(
    "rejects %j naming the flag and the accepted forms",
    (text) => {
      expect(() => parseInstant(text, "--since", NOW)).toThrowError(
        new RedriveInputError(
          `--since "${text}" is not a time: use an ISO date (2026-11-20), an ISO date-time with a zone ` +
            "(2026-11-20T10:00:00Z) or a duration ago (30m, 24h, 7d)",
        ),
      );
    },
  );
});

describe("parseDeadLetterFilter", () => {
  const options = { now: NOW, defaultStatuses: ["new"] as const };

  it("normalises every field", () => {
    const filter = parseDeadLetterFilter(
      {
        ids: "employees:1:42",
        topic: " employees ",
        since: "24h",
        stage: "validate",
        errorClass: "X",
        status: "new,redriven",
      },
      options,
    );

    expect(filter).toEqual({
      ids: ["employees:1:42"],
      topic: "employees",
      since: "2026-11-21T12:00:00.000Z",
      until: undefined,
      stage: "validate",
      errorClass: "X",
      statuses: ["new", "redriven"],
    });
  });

  it("uses the caller's default statuses, and all three for `all`", () => {
    expect(parseDeadLetterFilter({}, options).statuses).toEqual(["new"]);
    expect(parseDeadLetterFilter({ status: "all" }, options).statuses).toEqual(STATUS_NAMES);
    expect(selectsEverything(parseDeadLetterFilter({ status: "all" }, options))).toBe(true);
  });

  it("knows exactly the statuses the index writes", () => {
    expect([...STATUS_NAMES].sort()).toEqual(Object.values(DEAD_LETTER_STATUSES).sort());
  });

  it.each([
    [
      { since: "2026-11-22", until: "2026-11-01" },
      "--since (2026-11-22T00:00:00.000Z) must be before --until",
    ],
    [{ topic: "bad topic!" }, '--topic "bad topic!" is not a Kafka topic name'],
    [{ stage: "parse" }, '--stage "parse" is not a stage: use one of route, decode, validate'],
    [{ status: "old" }, '--status "old" is not a status: use new, redriven, discarded, all'],
    [{ ids: ["employees-1-42"] }, '"employees-1-42" is not a dead-letter id'],
    [{ topic: 42 }, "--topic must be a string"],
  ])("rejects %j", (input, message) => {
    const nameOf = (field: string) => `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    expect(() => parseDeadLetterFilter(input, { ...options, nameOf })).toThrowError(message);
    expect(() => parseDeadLetterFilter(input, { ...options, nameOf })).toThrowError(RedriveInputError);
  });

  it("matches in memory with since inclusive and until exclusive", () => {
    const filter = parseDeadLetterFilter({ since: "2026-11-20", until: "2026-11-21" }, options);
    const letter = { id: "t:0:1", topic: "t", stage: "validate", errorClass: "E", status: "new" as const };

    expect(matchesFilter({ ...letter, failedAt: "2026-11-20T00:00:00.000Z" }, filter)).toBe(true);
    expect(matchesFilter({ ...letter, failedAt: "2026-11-21T00:00:00.000Z" }, filter)).toBe(false);
    expect(
      matchesFilter({ ...letter, failedAt: "2026-11-20T05:00:00.000Z", status: "redriven" }, filter),
    ).toBe(false);
  });
});

describe("parseRedriveInput (the Lambda's event and the CLI's flags)", () => {
  it("fills the defaults and acts on new dead letters only", () => {
    const invocation = parseRedriveInput({ topic: "employees" }, { now: NOW });

    expect(invocation).toMatchObject({
      kind: "start",
      request: {
        source: { kind: "index" },
        maxRedrives: 3,
        ratePerSecond: 100,
        batchSize: 25,
        dryRun: false,
        maxCount: undefined,
        filter: { statuses: ["new"] },
      },
    });
  });

  it("reads numbers given as strings, an on-failure location and a resume", () => {
    const start = parseRedriveInput(
      { max: "10", rate: 5, maxRedrives: "1", dryRun: "true", onFailure: "s3://my-bucket/on-failure/esm-1/" },
      { now: NOW },
    );
    expect(start).toMatchObject({
      request: {
        maxCount: 10,
        ratePerSecond: 5,
        maxRedrives: 1,
        dryRun: true,
        source: { kind: "on-failure", bucket: "my-bucket", prefix: "on-failure/esm-1/" },
      },
    });
    expect(parseRedriveInput({ resume: "r-1", topic: "ignored" }, { now: NOW })).toEqual({
      kind: "resume",
      runId: "r-1",
    });
  });

  it.each([
    [{ rate: 0 }, "rate must be a whole number from 1 to 100000, got 0"],
    [{ max: "ten" }, 'max must be a whole number from 1 to 9007199254740991, got "ten"'],
    [{ dryRun: "yes" }, 'dryRun must be true or false, got "yes"'],
    [{ onFailure: "bucket/prefix" }, 'onFailure "bucket/prefix" is not an S3 location'],
    [{ toTopic: "a b" }, 'toTopic "a b" is not a Kafka topic name'],
    [{ resume: "a/b" }, 'resume "a/b" is not a run id'],
  ])("rejects %j", (input, message) => {
    expect(() => parseRedriveInput(input, { now: NOW })).toThrowError(message);
  });
});
