import { describe, expect, it } from "vitest";
import { createLambdaContext, invokeHandler } from "../../../emulator/lambdaContext";
import type { KafkaEvent } from "../../../functions/lib/core/types";

const event: KafkaEvent = { eventSource: "SelfManagedKafka", bootstrapServers: "b:1", records: {} };

describe("createLambdaContext", () => {
  it("counts the remaining time down from the timeout", () => {
    let now = 1_000;
    const context = createLambdaContext({
      functionName: "f",
      functionArn: "arn",
      timeoutMs: 3_000,
      now: () => now,
    });

    now += 1_200;

    expect(context.getRemainingTimeInMillis()).toBe(1_800);
    now += 5_000;
    expect(context.getRemainingTimeInMillis()).toBe(0);
    expect(context).toMatchObject({
      functionName: "f",
      functionVersion: "$LATEST",
      invokedFunctionArn: "arn",
    });
  });
});

describe("invokeHandler", () => {
  const context = () => createLambdaContext({ functionName: "f", functionArn: "arn", timeoutMs: 50 });

  it("returns what the handler returned, as JSON", async () => {
    const outcome = await invokeHandler(
      async () => ({ when: new Date(0), gone: undefined }),
      event,
      context(),
      1_000,
    );

    expect(outcome).toEqual({ kind: "returned", value: { when: "1970-01-01T00:00:00.000Z" } });
  });

  it("turns undefined into null", async () => {
    expect(await invokeHandler(async () => undefined, event, context(), 1_000)).toEqual({
      kind: "returned",
      value: null,
    });
  });

  it("reports a thrown error", async () => {
    const error = new Error("boom");

    expect(await invokeHandler(async () => Promise.reject(error), event, context(), 1_000)).toEqual({
      kind: "threw",
      error,
    });
  });

  it("times out a handler that runs past the timeout", async () => {
    const outcome = await invokeHandler(() => new Promise(() => undefined), event, context(), 50);

    expect(outcome).toEqual({ kind: "timed-out", timeoutMs: 50 });
  });
});
