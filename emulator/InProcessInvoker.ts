import {
  billedDurationMs,
  type FunctionInvoker,
  type InvocationRequest,
  type InvocationResult,
} from "./functionInvoker";
import { createLambdaContext, invokeHandler } from "./lambdaContext";
import type { KafkaLambdaHandler } from "./types";

export interface InProcessInvokerOptions {
  readonly handler: KafkaLambdaHandler;
  readonly functionName: string;
  readonly functionArn: string;
  readonly timeoutMs: number;
  readonly memorySizeMb: number;
}

/**
 * Calls the handler inside the emulator's process: fast, and enough for the mapping's rules, but a
 * timed-out handler keeps running in the background and nothing limits its memory. The sandbox
 * (`SandboxPool`) is the faithful one.
 */
export class InProcessInvoker implements FunctionInvoker {
  constructor(private readonly options: InProcessInvokerOptions) {}

  async invoke(request: InvocationRequest): Promise<InvocationResult> {
    const { handler, functionName, functionArn, timeoutMs, memorySizeMb } = this.options;
    // What Lambda sends is JSON: the handler gets its own copy, never the emulator's objects.
    const event = JSON.parse(request.eventJson);
    const context = createLambdaContext({
      functionName,
      functionArn,
      timeoutMs,
      memoryLimitInMB: memorySizeMb,
      requestId: request.requestId,
    });
    const started = performance.now();
    const outcome = await invokeHandler(handler, event, context, timeoutMs);
    const durationMs = performance.now() - started;
    return {
      outcome,
      report: {
        requestId: request.requestId,
        durationMs,
        billedDurationMs: billedDurationMs(durationMs, undefined),
        memorySizeMb,
        maxMemoryUsedMb: undefined,
        initDurationMs: undefined,
        status: outcome.kind === "returned" ? "success" : outcome.kind === "timed-out" ? "timeout" : "error",
        errorType: outcome.kind === "threw" ? errorTypeOf(outcome.error) : undefined,
        injectedKill: false,
      },
    };
  }

  async close(): Promise<void> {}
}

function errorTypeOf(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
