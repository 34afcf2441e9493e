import { EmulatorError } from "../errors";
import {
  billedDurationMs,
  type FunctionInvoker,
  type InvocationRequest,
  type InvocationResult,
} from "../functionInvoker";
import type { InvocationOutcome } from "../types";
import {
  endLine,
  reportLine,
  runtimeExitLines,
  runtimeExitMessage,
  startLine,
  timeoutLine,
} from "./lambdaLogLines";
import type { InjectedFaults, ReportedError } from "./protocol";
import { type InvocationEnd, KILL_REASONS, Sandbox, type SandboxConfig, type SandboxExit } from "./Sandbox";

/** What a fault hook is told about the invocation it may disturb. */
export interface FaultContext {
  readonly requestId: string;
  /** 1 for the run's first invocation. */
  readonly sequence: number;
  readonly sandboxId: string;
  readonly coldStart: boolean;
  readonly records: number;
}

/**
 * Fault hooks for chaos runs, each asked once per invocation; `undefined` means no fault.
 *
 * @example
 * // Kill one invocation in ten at a random point of its first second:
 * faults: { killAfterMs: () => (random() < 0.1 ? Math.floor(random() * 1000) : undefined) }
 */
export interface SandboxFaults {
  /** SIGKILL the sandbox this many ms after the invocation started: the handler dies mid-flight. */
  readonly killAfterMs?: (invocation: FaultContext) => number | undefined;
  /** Hold the handler's response this long after it returned (its writes are done): past the timeout, it times out. */
  readonly holdResponseMs?: (invocation: FaultContext) => number | undefined;
  /** Allocate this many MiB inside the sandbox while the handler runs: past the memory size, an out-of-memory kill. */
  readonly memorySpikeMb?: (invocation: FaultContext) => number | undefined;
}

export interface SandboxPoolOptions extends Omit<SandboxConfig, "output"> {
  readonly timeoutMs: number;
  /** Receives the log stream: START, the function's lines, END, REPORT. @default process.stdout */
  readonly functionLog?: (line: string) => void;
  readonly faults?: SandboxFaults;
}

/** What tests and a chaos campaign can do to the running sandboxes. */
export interface SandboxControl {
  /** SIGKILLs one sandbox that is in the middle of an invocation (chosen at random); false if none is. */
  killAny(random?: () => number): boolean;
  /** Sandboxes alive (warm or busy). */
  readonly live: number;
}

/**
 * Runs the function the way Lambda does: each invocation in an execution environment of its own
 * process, INIT once per environment (timed, reported as `Init Duration`), the environment reused
 * while warm, a new one started after one died. The mapping never runs two invocations of one
 * partition at once, so at most `concurrency` environments exist, as Lambda scales a Kafka mapping.
 */
export class SandboxPool implements FunctionInvoker, SandboxControl {
  private readonly idle: Sandbox[] = [];
  private readonly busy = new Set<Sandbox>();
  private readonly injected = new WeakSet<Sandbox>();
  private readonly log: (line: string) => void;
  private sequence = 0;
  private closed = false;

  constructor(private readonly options: SandboxPoolOptions) {
    // The sandbox's runtime is TypeScript run by Node's own type stripping (Node 23.6+; the
    // project's Node 24 has it). A sandbox started by an older Node would die at every INIT.
    if (!process.features.typescript) {
      throw new EmulatorError(
        `the sandbox needs Node.js 24 (type stripping); this is ${process.version}: run it through npm, which puts the project's Node 24 first`,
      );
    }
    this.log = options.functionLog ?? ((line) => process.stdout.write(`${line}\n`));
  }

  get live(): number {
    return this.idle.length + this.busy.size;
  }

  killAny(random: () => number = Math.random): boolean {
    const candidates = [...this.busy];
    const victim = candidates[Math.floor(random() * candidates.length)];
    if (victim === undefined) return false;
    this.injected.add(victim);
    victim.kill(KILL_REASONS.injected);
    return true;
  }

  /**
   * Starts `count` sandboxes and runs their INIT before any invocation, as provisioned concurrency
   * does: their first invocations are warm (no Init Duration). Resolves once all are ready; one
   * whose INIT fails is dropped (the next invocation starts cold and meets the same error).
   */
  async prewarm(count: number): Promise<number> {
    const started = Array.from({ length: count }, () => new Sandbox({ ...this.options, output: this.log }));
    const results = await Promise.all(started.map((sandbox) => sandbox.init()));
    let ready = 0;
    results.forEach((result, i) => {
      const sandbox = started[i] as Sandbox;
      if (result.ok && !this.closed) {
        this.idle.push(sandbox);
        ready += 1;
      } else {
        sandbox.kill(KILL_REASONS.shutdown);
      }
    });
    return ready;
  }

  async invoke(request: InvocationRequest): Promise<InvocationResult> {
    const { requestId } = request;
    let sandbox = this.takeWarm();
    let initDurationMs: number | undefined;
    if (sandbox === undefined) {
      sandbox = new Sandbox({ ...this.options, output: this.log });
      const init = await sandbox.init();
      initDurationMs = init.initDurationMs;
      if (!init.ok) {
        sandbox.kill(KILL_REASONS.shutdown);
        return this.initFailed(request, sandbox, init.error, initDurationMs);
      }
    }
    this.busy.add(sandbox);
    this.sequence += 1;
    const context: FaultContext = {
      requestId,
      sequence: this.sequence,
      sandboxId: sandbox.id,
      coldStart: initDurationMs !== undefined,
      records: request.records,
    };
    const faults = this.faultsFor(context);
    this.log(startLine(requestId));
    const started = performance.now();
    const { timeoutMs } = this.options;
    const timer = setTimeout(() => sandbox.kill(KILL_REASONS.timeout), timeoutMs);
    const killAfter = this.options.faults?.killAfterMs?.(context);
    const killTimer =
      killAfter === undefined
        ? undefined
        : setTimeout(() => {
            this.injected.add(sandbox);
            sandbox.kill(KILL_REASONS.injected);
          }, killAfter);
    try {
      const { end, maxMemoryUsedMb } = await sandbox.invoke(
        requestId,
        request.eventJson,
        Date.now() + timeoutMs,
        faults,
      );
      const durationMs = performance.now() - started;
      clearTimeout(timer);
      clearTimeout(killTimer);
      const outcome = this.outcomeOf(end, requestId);
      const injectedKill = end.kind === "exited" && end.exit.killReason === KILL_REASONS.injected;
      const report = {
        requestId,
        durationMs: outcome.kind === "timed-out" ? Math.max(durationMs, timeoutMs) : durationMs,
        billedDurationMs: billedDurationMs(
          outcome.kind === "timed-out" ? timeoutMs : durationMs,
          initDurationMs,
        ),
        memorySizeMb: this.options.memorySizeMb,
        maxMemoryUsedMb,
        initDurationMs,
        status: outcome.kind === "returned" ? "success" : outcome.kind === "timed-out" ? "timeout" : "error",
        errorType: errorTypeOf(outcome),
        injectedKill,
      } as const;
      this.log(endLine(requestId));
      this.log(reportLine(report));
      return { outcome, report };
    } finally {
      clearTimeout(timer);
      clearTimeout(killTimer);
      this.busy.delete(sandbox);
      if (sandbox.isAlive && !this.closed) this.idle.push(sandbox);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.idle, ...this.busy];
    this.idle.length = 0;
    for (const sandbox of all) sandbox.kill(KILL_REASONS.shutdown);
    await Promise.all(all.map((s) => s.whenExited()));
  }

  /** The most recently used warm sandbox that is still alive (one that died while idle is dropped). */
  private takeWarm(): Sandbox | undefined {
    for (let sandbox = this.idle.pop(); sandbox !== undefined; sandbox = this.idle.pop()) {
      if (sandbox.isAlive) return sandbox;
    }
    return undefined;
  }

  private faultsFor(context: FaultContext): InjectedFaults {
    const hold = this.options.faults?.holdResponseMs?.(context);
    const spike = this.options.faults?.memorySpikeMb?.(context);
    return {
      ...(hold === undefined ? {} : { holdResponseMs: hold }),
      ...(spike === undefined ? {} : { memorySpikeMb: spike }),
    };
  }

  private outcomeOf(end: InvocationEnd, requestId: string): InvocationOutcome {
    if (end.kind === "response") return { kind: "returned", value: JSON.parse(end.responseJson) };
    if (end.kind === "error") return { kind: "threw", error: asError(end.error) };
    return this.exitOutcome(end.exit, requestId);
  }

  private exitOutcome(exit: SandboxExit, requestId: string): InvocationOutcome {
    if (exit.killReason === KILL_REASONS.timeout) {
      this.log(timeoutLine(requestId, this.options.timeoutMs));
      return { kind: "timed-out", timeoutMs: this.options.timeoutMs };
    }
    const outOfMemory = exit.killReason === KILL_REASONS.outOfMemory || exit.heapExhausted;
    const errorType = outOfMemory ? "Runtime.OutOfMemory" : "Runtime.ExitError";
    const message = runtimeExitMessage(exit.code, exit.signal);
    for (const line of runtimeExitLines(requestId, message, errorType)) this.log(line);
    return { kind: "runtime-exited", errorType, message };
  }

  private initFailed(
    request: InvocationRequest,
    sandbox: Sandbox,
    error: ReportedError,
    initDurationMs: number,
  ): InvocationResult {
    const { requestId } = request;
    this.log(startLine(requestId));
    this.log(`${new Date().toISOString()}\t${requestId}\tERROR\t${JSON.stringify(error)}`);
    this.log(endLine(requestId));
    const report = {
      requestId,
      durationMs: 0,
      billedDurationMs: billedDurationMs(0, initDurationMs),
      memorySizeMb: this.options.memorySizeMb,
      maxMemoryUsedMb: sandbox.maxMemoryUsedMb(),
      initDurationMs,
      status: "error",
      errorType: error.errorType,
      injectedKill: false,
    } as const;
    this.log(reportLine(report));
    return { outcome: { kind: "threw", error: asError(error) }, report };
  }
}

/** The runtime's error report as an Error named after its `errorType`, as Lambda's callers see it. */
function asError(reported: ReportedError): Error {
  const error = new Error(reported.errorMessage);
  error.name = reported.errorType;
  error.stack = reported.trace.join("\n") || `${reported.errorType}: ${reported.errorMessage}`;
  return error;
}

function errorTypeOf(outcome: InvocationOutcome): string | undefined {
  if (outcome.kind === "runtime-exited") return outcome.errorType;
  if (outcome.kind === "threw") return outcome.error instanceof Error ? outcome.error.name : "Error";
  return undefined;
}
