import { describe, expect, it } from "vitest";
import { judgeInvocation, planCommits, type ResponseRuleOptions } from "../../../emulator/responseRules";
import { polled } from "./records";

// Topic names with "-" on purpose: identifiers must never be split.
const batch = [...polled("user-events", 0, [10, 11, 12]), ...polled("user-events", 2, [7, 8])];
const options: ResponseRuleOptions = { reportBatchItemFailures: true, itemIdentifierKey: "partition" };
const returned = (value: unknown) => ({ kind: "returned" as const, value });
const failure = (id: unknown, offset: unknown, key = "partition") => ({
  itemIdentifier: { [key]: id, offset },
});

describe("judgeInvocation: responses that mean success", () => {
  it.each([
    ["null", null],
    ["an empty object", {}],
    ["an empty list", { batchItemFailures: [] }],
    ["a null list", { batchItemFailures: null }],
    ["an object without batchItemFailures", { statusCode: 200 }],
    ["a string", "done"],
  ])("%s", (_, value) => {
    expect(judgeInvocation(batch, returned(value), options)).toEqual({ kind: "success" });
  });
});

describe("judgeInvocation: valid partial responses", () => {
  it("resumes each reported partition at its offset", () => {
    const verdict = judgeInvocation(
      batch,
      returned({ batchItemFailures: [failure("user-events-0", 11), failure("user-events-2", 8)] }),
      options,
    );

    expect(verdict).toEqual({
      kind: "partial",
      resumeAt: new Map([
        ["user-events-0", 11],
        ["user-events-2", 8],
      ]),
    });
  });

  it("takes the lowest offset when a partition is reported twice", () => {
    const verdict = judgeInvocation(
      batch,
      returned({ batchItemFailures: [failure("user-events-0", 12), failure("user-events-0", 10)] }),
      options,
    );

    expect(verdict).toEqual({ kind: "partial", resumeAt: new Map([["user-events-0", 10]]) });
  });

  it("reads the topic-partition key when the mapping is configured for it", () => {
    const verdict = judgeInvocation(
      batch,
      returned({ batchItemFailures: [failure("user-events-2", 7, "topic-partition")] }),
      { ...options, itemIdentifierKey: "topic-partition" },
    );

    expect(verdict).toEqual({ kind: "partial", resumeAt: new Map([["user-events-2", 7]]) });
  });
});

describe("judgeInvocation: malformed responses fail the whole batch", () => {
  it.each([
    [
      "a string identifier",
      { batchItemFailures: [{ itemIdentifier: "user-events-0" }] },
      /must be an object/,
    ],
    ["a null identifier", { batchItemFailures: [{ itemIdentifier: null }] }, /got null/],
    ["an empty identifier", { batchItemFailures: [{ itemIdentifier: {} }] }, /has no "partition" key/],
    ["no identifier", { batchItemFailures: [{ id: 1 }] }, /has no itemIdentifier/],
    ["a null entry", { batchItemFailures: [null] }, /has no itemIdentifier/],
    [
      "the other key name",
      { batchItemFailures: [failure("user-events-0", 11, "topic-partition")] },
      /uses key "topic-partition" but this mapping reads "partition"/,
    ],
    [
      "a partition not in the batch",
      { batchItemFailures: [failure("user-events-1", 11)] },
      /not a topic-partition of the invoked batch/,
    ],
    [
      "an offset not in the batch",
      { batchItemFailures: [failure("user-events-0", 13)] },
      /offset 13 of "user-events-0" was not in the invoked batch/,
    ],
    [
      "a string offset",
      { batchItemFailures: [failure("user-events-0", "11")] },
      /"offset" must be an integer/,
    ],
    [
      "a fractional offset",
      { batchItemFailures: [failure("user-events-0", 10.5)] },
      /"offset" must be an integer/,
    ],
    [
      "a numeric partition",
      { batchItemFailures: [failure(0, 10)] },
      /must be a "<topic>-<partition>" string/,
    ],
    ["a list that is not a list", { batchItemFailures: "user-events-0" }, /must be a list/],
  ])("%s", (_, response, reason) => {
    const verdict = judgeInvocation(batch, returned(response), options);

    expect(verdict.kind).toBe("failure");
    if (verdict.kind !== "failure") return;
    expect(verdict.failure).toBe("invalid-response");
    expect(verdict.reason).toMatch(reason);
    expect(verdict.functionError).toBeUndefined();
  });

  it("fails the batch when one of several identifiers is wrong", () => {
    const verdict = judgeInvocation(
      batch,
      returned({ batchItemFailures: [failure("user-events-0", 11), failure("user-events-2", 99)] }),
      options,
    );

    expect(verdict).toMatchObject({
      kind: "failure",
      reason: expect.stringContaining("batchItemFailures[1]"),
    });
  });
});

describe("judgeInvocation: errors", () => {
  it("a thrown error fails the whole batch as an Unhandled function error", () => {
    const verdict = judgeInvocation(batch, { kind: "threw", error: new TypeError("boom") }, options);

    expect(verdict).toEqual({
      kind: "failure",
      failure: "function-error",
      reason: "function error: TypeError: boom",
      functionError: "Unhandled",
    });
  });

  it("a timeout fails the whole batch with Lambda's message", () => {
    const verdict = judgeInvocation(batch, { kind: "timed-out", timeoutMs: 3_000 }, options);

    expect(verdict).toMatchObject({ failure: "timeout", reason: "Task timed out after 3.00 seconds" });
  });

  it("a runtime that exited mid-invocation fails the whole batch, even with partial responses off", () => {
    const outcome = {
      kind: "runtime-exited",
      errorType: "Runtime.OutOfMemory",
      message: "Runtime exited with error: signal: killed",
    } as const;

    for (const reportBatchItemFailures of [true, false]) {
      expect(judgeInvocation(batch, outcome, { ...options, reportBatchItemFailures })).toEqual({
        kind: "failure",
        failure: "runtime-exit",
        reason: "Runtime.OutOfMemory: Runtime exited with error: signal: killed",
        functionError: "Unhandled",
      });
    }
  });

  it("ignores the response entirely when partial responses are off", () => {
    const verdict = judgeInvocation(batch, returned({ batchItemFailures: [{ itemIdentifier: "garbage" }] }), {
      ...options,
      reportBatchItemFailures: false,
    });

    expect(verdict).toEqual({ kind: "success" });
  });
});

describe("planCommits", () => {
  it("commits past the whole batch on success", () => {
    const plan = planCommits(batch, { kind: "success" });

    expect(plan.redeliver).toEqual([]);
    expect(plan.commits).toEqual([
      { id: "user-events-0", topic: "user-events", partition: 0, offset: 13 },
      { id: "user-events-2", topic: "user-events", partition: 2, offset: 9 },
    ]);
  });

  it("commits up to the reported offset and redelivers from it, leaving other partitions done", () => {
    const plan = planCommits(batch, { kind: "partial", resumeAt: new Map([["user-events-0", 11]]) });

    expect(plan.redeliver.map((r) => `${r.partition}@${r.offset}`)).toEqual(["0@11", "0@12"]);
    expect(plan.commits).toContainEqual({
      id: "user-events-0",
      topic: "user-events",
      partition: 0,
      offset: 11,
    });
    expect(plan.commits).toContainEqual({
      id: "user-events-2",
      topic: "user-events",
      partition: 2,
      offset: 9,
    });
  });

  it("redelivers a whole partition reported at its first offset", () => {
    const plan = planCommits(batch, { kind: "partial", resumeAt: new Map([["user-events-2", 7]]) });

    expect(plan.redeliver.map((r) => r.offset)).toEqual([7, 8]);
    expect(plan.commits).toContainEqual({
      id: "user-events-2",
      topic: "user-events",
      partition: 2,
      offset: 7,
    });
  });
});
