/**
 * The sandbox's runtime: what Lambda's Node.js runtime does inside the execution environment, in a
 * process of its own started by the emulator with `process.execPath` (the same Node 24).
 *
 * INIT: import the handler module once (its top-level code runs like a cold start), then say ready.
 * INVOKE: for each event, call `handler(event, context)`, await it, send back the JSON of the result
 * or the error. Like Lambda's runtime it prefixes console output with time, request id and level,
 * and reports an uncaught exception (exit 129) or an unhandled rejection (exit 128) as the current
 * invocation's error before exiting, so the next invocation starts a new sandbox.
 *
 * Runs under Node's type stripping: only `node:` imports and `import type`.
 * Usage: node [heap flags] runtimeBootstrap.ts <handler module path> <export name>
 */
import { pathToFileURL } from "node:url";
import { format } from "node:util";
import type { InvokeMessage, ReportedError, SandboxMessage } from "./protocol";

const [modulePath = "", exportName = "handler"] = process.argv.slice(2);
const endMarker = process.env.LAMBDA_EMULATOR_END_MARKER ?? "";
const functionArn = process.env.LAMBDA_EMULATOR_FUNCTION_ARN ?? "";
const functionName = process.env.LAMBDA_EMULATOR_FUNCTION_NAME ?? "";
delete process.env.LAMBDA_EMULATOR_END_MARKER;
delete process.env.LAMBDA_EMULATOR_FUNCTION_ARN;
delete process.env.LAMBDA_EMULATOR_FUNCTION_NAME;

type Handler = (event: unknown, context: unknown) => unknown;

let currentRequestId: string | undefined;
let initialized = false;

function send(message: SandboxMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

function reported(error: unknown, fallbackType = "Error"): ReportedError {
  if (error instanceof Error) {
    return {
      errorType: error.name || fallbackType,
      errorMessage: error.message,
      trace: (error.stack ?? "").split("\n"),
    };
  }
  return { errorType: fallbackType, errorMessage: format("%s", error), trace: [] };
}

function maxRssKb(): number {
  return process.resourceUsage().maxRSS;
}

/** Lambda's text log format for console calls: `<ISO time>\t<request id>\t<LEVEL>\t<message>`. */
function patchConsole(): void {
  const levels = [
    ["log", "INFO", process.stdout],
    ["info", "INFO", process.stdout],
    ["debug", "DEBUG", process.stdout],
    ["warn", "WARN", process.stderr],
    ["error", "ERROR", process.stderr],
    ["trace", "TRACE", process.stderr],
  ] as const;
  for (const [method, level, stream] of levels) {
    console[method] = (...args: unknown[]) => {
      stream.write(
        `${new Date().toISOString()}\t${currentRequestId ?? "undefined"}\t${level}\t${format(...args)}\n`,
      );
    };
  }
}

/** Pipes are written synchronously on Linux: once this returns, the invocation's output is sent. */
function markEnd(requestId: string): void {
  process.stdout.write(`${endMarker} ${requestId}\n`);
  process.stderr.write(`${endMarker} ${requestId}\n`);
}

/** Fills memory in 16 MiB steps (touched pages, so resident) until released or killed. */
function spikeMemory(mb: number): () => void {
  const chunks: Buffer[] = [];
  let released = false;
  const grow = () => {
    if (released || chunks.length * 16 >= mb) return;
    chunks.push(Buffer.alloc(16 * 1024 * 1024, 1));
    setImmediate(grow);
  };
  grow();
  return () => {
    released = true;
    chunks.length = 0;
  };
}

function contextFor(message: InvokeMessage): Record<string, unknown> {
  const unsupported = (name: string) => () => {
    throw new TypeError(`context.${name}() is not available: Node.js 24 runtimes have no callback handlers`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION ?? "$LATEST",
    invokedFunctionArn: functionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? "",
    awsRequestId: message.requestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME ?? "",
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME ?? "",
    getRemainingTimeInMillis: () => Math.max(0, message.deadlineMs - Date.now()),
    done: unsupported("done"),
    fail: unsupported("fail"),
    succeed: unsupported("succeed"),
  };
}

async function invoke(handler: Handler, message: InvokeMessage): Promise<void> {
  currentRequestId = message.requestId;
  const release =
    message.faults.memorySpikeMb === undefined ? undefined : spikeMemory(message.faults.memorySpikeMb);
  try {
    const value = await handler(JSON.parse(message.eventJson), contextFor(message));
    const responseJson = JSON.stringify(value === undefined ? null : value) ?? "null";
    if (message.faults.holdResponseMs !== undefined) {
      await new Promise((resolve) => setTimeout(resolve, message.faults.holdResponseMs));
    }
    markEnd(message.requestId);
    await send({ type: "response", requestId: message.requestId, responseJson, maxRssKb: maxRssKb() });
  } catch (error) {
    markEnd(message.requestId);
    await send({
      type: "error",
      requestId: message.requestId,
      maxRssKb: maxRssKb(),
      fatal: false,
      ...reported(error),
    });
  } finally {
    release?.();
  }
}

/** What the Node runtime does with an error nothing caught: report it, then exit. */
async function fatal(error: ReportedError, exitCode: number): Promise<never> {
  console.error(
    error.errorType === "Runtime.UnhandledPromiseRejection"
      ? "Unhandled Promise Rejection"
      : "Uncaught Exception",
    JSON.stringify(error),
  );
  if (!initialized) {
    await send({ type: "init-error", ...error });
  } else if (currentRequestId !== undefined) {
    markEnd(currentRequestId);
    await send({ type: "error", requestId: currentRequestId, maxRssKb: maxRssKb(), fatal: true, ...error });
  }
  process.exit(exitCode);
}

async function main(): Promise<void> {
  patchConsole();
  process.on("uncaughtException", (error) => void fatal(reported(error), 129));
  process.on("unhandledRejection", (reason) => {
    const text = reason instanceof Error ? `${reason.name}: ${reason.message}` : format("%s", reason);
    void fatal(
      {
        errorType: "Runtime.UnhandledPromiseRejection",
        errorMessage: text,
        trace: reason instanceof Error ? (reason.stack ?? "").split("\n") : [],
      },
      128,
    );
  });
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(modulePath).href)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: string }).code;
    await send({
      type: "init-error",
      ...reported(error),
      ...(code === "ERR_MODULE_NOT_FOUND" ? { errorType: "Runtime.ImportModuleError" } : {}),
    });
    process.exit(1);
  }
  const handler = module[exportName];
  if (typeof handler !== "function") {
    await send({
      type: "init-error",
      errorType: "Runtime.HandlerNotFound",
      errorMessage: `${modulePath}#${exportName} is undefined or not exported`,
      trace: [],
    });
    process.exit(1);
  }
  initialized = true;
  // The emulator went away (it never leaves a sandbox behind on purpose): nothing will invoke us.
  process.on("disconnect", () => process.exit(0));
  process.on("message", (message: InvokeMessage) => {
    if (message.type === "invoke") void invoke(handler as Handler, message);
  });
  await send({ type: "ready" });
}

void main();
