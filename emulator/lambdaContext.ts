import { randomUUID } from "node:crypto";
import type { Context } from "aws-lambda";
import type { KafkaEvent } from "../functions/lib/core/types";
import type { InvocationOutcome, KafkaLambdaHandler } from "./types";

export interface LambdaContextOptions {
  readonly functionName: string;
  readonly functionArn: string;
  readonly timeoutMs: number;
  readonly memoryLimitInMB?: number;
  readonly requestId?: string;
  /** Injected for tests. */
  readonly now?: () => number;
}

/**
 * A Lambda context whose `getRemainingTimeInMillis` counts down from the configured timeout, so a
 * handler that plans around its deadline (as the pipeline's processor does) behaves as in Lambda.
 *
 * @example
 * const context = createLambdaContext({ functionName: "f", functionArn, timeoutMs: 30_000 });
 * context.getRemainingTimeInMillis(); // ~30000
 */
export function createLambdaContext(options: LambdaContextOptions): Context {
  const now = options.now ?? Date.now;
  const deadline = now() + options.timeoutMs;
  const requestId = options.requestId ?? randomUUID();
  const unsupported = (name: string) => () => {
    throw new TypeError(`context.${name}() is not available: Node.js 24 runtimes have no callback handlers`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: options.functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: options.functionArn,
    memoryLimitInMB: String(options.memoryLimitInMB ?? 1024),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${options.functionName}`,
    logStreamName: `emulator/[$LATEST]${requestId.replaceAll("-", "")}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    done: unsupported("done"),
    fail: unsupported("fail"),
    succeed: unsupported("succeed"),
  };
}

/**
 * Invokes the handler the way the Lambda runtime does: the event as JSON-decoded data, the result
 * serialized back to JSON (a value JSON cannot carry is lost as it would be in Lambda), and a
 * timeout after which the invocation counts as failed.
 *
 * A timed-out handler cannot be killed in-process: its promise keeps running in the background
 * and its result is ignored. Lambda would freeze the sandbox instead, so side effects that happen
 * after the timeout here would not happen there; both deliver the batch again.
 */
export async function invokeHandler(
  handler: KafkaLambdaHandler,
  event: KafkaEvent,
  context: Context,
  timeoutMs: number,
): Promise<InvocationOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<InvocationOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ kind: "timed-out", timeoutMs }), timeoutMs);
  });
  const invoked = (async (): Promise<InvocationOutcome> => {
    try {
      const value = await handler(event, context);
      return { kind: "returned", value: roundTrip(value) };
    } catch (error) {
      return { kind: "threw", error };
    }
  })();
  try {
    return await Promise.race([invoked, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** What the runtime sends back: JSON, with `undefined` as `null`. */
function roundTrip(value: unknown): unknown {
  if (value === undefined) return null;
  const json = JSON.stringify(value);
  return json === undefined ? null : JSON.parse(json);
}
