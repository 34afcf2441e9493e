import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { residentBytes } from "./processMemory";
import type { InjectedFaults, InvokeMessage, ReportedError, SandboxMessage } from "./protocol";
import { lambdaHeapFlags, sandboxEnvironment } from "./sandboxLaunch";

const BOOTSTRAP = fileURLToPath(new URL("./runtimeBootstrap.ts", import.meta.url));
/** Lambda's limit for the INIT phase of an on-demand function (lambda-runtime-environment page). */
export const INIT_TIMEOUT_MS = 10_000;
/** How long to wait, after a response, for the invocation's last output lines to arrive. */
const OUTPUT_GRACE_MS = 500;

export interface SandboxConfig {
  readonly modulePath: string;
  readonly exportName: string;
  readonly functionName: string;
  readonly functionArn: string;
  readonly memorySizeMb: number;
  readonly region: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly inherited: Readonly<Record<string, string | undefined>>;
  /** Receives every line the sandbox writes (stdout and stderr), as Lambda forwards them to its log stream. */
  readonly output: (line: string) => void;
  /** How often the memory watchdog reads the sandbox's resident memory. @default 50 */
  readonly watchIntervalMs?: number;
}

export const KILL_REASONS = {
  timeout: "timeout",
  outOfMemory: "out-of-memory",
  injected: "injected",
  shutdown: "shutdown",
} as const;
export type KillReason = (typeof KILL_REASONS)[keyof typeof KILL_REASONS];

export interface SandboxExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Why the emulator killed it, if it did. */
  readonly killReason: KillReason | undefined;
  /** V8 gave up: "JavaScript heap out of memory" (the heap flags' limit, before the RSS limit). */
  readonly heapExhausted: boolean;
}

export type InitResult =
  | { readonly ok: true; readonly initDurationMs: number }
  | { readonly ok: false; readonly initDurationMs: number; readonly error: ReportedError };

export type InvocationEnd =
  | { readonly kind: "response"; readonly responseJson: string }
  | { readonly kind: "error"; readonly error: ReportedError; readonly fatal: boolean }
  | { readonly kind: "exited"; readonly exit: SandboxExit };

/**
 * One execution environment: a Node process running `runtimeBootstrap.ts`, with Lambda's heap flags
 * for the memory size and a watchdog that SIGKILLs it once its resident memory passes that size, as
 * Lambda's memory limit does. One invocation at a time; once it has exited it is never used again.
 */
export class Sandbox {
  readonly id: string;
  private readonly child: ChildProcess;
  private readonly exited: Promise<SandboxExit>;
  private readonly watchdog: NodeJS.Timeout | undefined;
  private readonly endMarker = `~lambda-sandbox-end-${randomBytes(8).toString("hex")}~`;
  private readonly markersSeen = new Map<string, number>();
  private markerWaiter: (() => void) | undefined;
  private messageWaiter: ((message: SandboxMessage) => void) | undefined;
  private killReason: KillReason | undefined;
  private heapExhausted = false;
  private peakBytes = 0;
  private alive = true;

  constructor(private readonly config: SandboxConfig) {
    this.id = randomBytes(16).toString("hex");
    const env = sandboxEnvironment({ ...config, sandboxId: this.id, endMarker: this.endMarker });
    this.child = spawn(
      process.execPath,
      [
        ...lambdaHeapFlags(config.memorySizeMb, env.NODE_OPTIONS),
        BOOTSTRAP,
        config.modulePath,
        config.exportName,
      ],
      { env, stdio: ["ignore", "pipe", "pipe", "ipc"], serialization: "advanced" },
    );
    this.child.on("message", (message: SandboxMessage) => this.messageWaiter?.(message));
    this.forwardLines(this.child.stdout);
    this.forwardLines(this.child.stderr);
    this.exited = new Promise((resolve) => {
      // "close": the process is gone and its output read to the end.
      this.child.once("close", (code, signal) => {
        this.alive = false;
        if (this.watchdog !== undefined) clearInterval(this.watchdog);
        this.messageWaiter = undefined;
        resolve({ code, signal, killReason: this.killReason, heapExhausted: this.heapExhausted });
      });
    });
    // Spawning failed, or a send found the channel closed: either way the sandbox is done.
    this.child.on("error", () => this.kill(KILL_REASONS.shutdown));
    const limit = config.memorySizeMb * 1024 * 1024;
    this.watchdog = setInterval(() => {
      const pid = this.child.pid;
      const bytes = pid === undefined ? undefined : residentBytes(pid);
      if (bytes === undefined) return;
      this.peakBytes = Math.max(this.peakBytes, bytes);
      if (bytes > limit) this.kill(KILL_REASONS.outOfMemory);
    }, config.watchIntervalMs ?? 50);
    this.watchdog.unref();
  }

  get isAlive(): boolean {
    return this.alive;
  }

  /** Peak resident memory seen, in MB as Lambda reports it (rounded up). */
  maxMemoryUsedMb(reportedMaxRssKb = 0): number {
    this.peakBytes = Math.max(this.peakBytes, reportedMaxRssKb * 1024);
    return Math.ceil(this.peakBytes / (1024 * 1024));
  }

  /** Runs INIT: the bootstrap imports the handler module and says ready, within {@link INIT_TIMEOUT_MS}. */
  async init(): Promise<InitResult> {
    const started = performance.now();
    const timer = setTimeout(() => this.kill(KILL_REASONS.timeout), INIT_TIMEOUT_MS);
    try {
      const first = await Promise.race([this.nextMessage(), this.exited]);
      const initDurationMs = performance.now() - started;
      if ("type" in first && first.type === "ready") return { ok: true, initDurationMs };
      if ("type" in first && first.type === "init-error") {
        const { errorType, errorMessage, trace } = first;
        return { ok: false, initDurationMs, error: { errorType, errorMessage, trace } };
      }
      this.kill(KILL_REASONS.shutdown);
      const exit = "code" in first ? first : await this.exited;
      return {
        ok: false,
        initDurationMs,
        error:
          exit.killReason === KILL_REASONS.timeout
            ? {
                errorType: "Runtime.InitTimeout",
                errorMessage: `INIT did not finish within ${INIT_TIMEOUT_MS / 1000} seconds`,
                trace: [],
              }
            : {
                errorType:
                  exit.killReason === KILL_REASONS.outOfMemory || exit.heapExhausted
                    ? "Runtime.OutOfMemory"
                    : "Runtime.ExitError",
                errorMessage: `the runtime exited during INIT (code ${exit.code}, signal ${exit.signal})`,
                trace: [],
              },
      };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends one event and resolves when the handler answered (and its output has arrived) or the
   * process is gone. The caller enforces the timeout with {@link kill}.
   */
  async invoke(
    requestId: string,
    eventJson: string,
    deadlineMs: number,
    faults: InjectedFaults,
  ): Promise<{ end: InvocationEnd; maxMemoryUsedMb: number }> {
    const answered = this.nextMessage();
    const message: InvokeMessage = { type: "invoke", requestId, eventJson, deadlineMs, faults };
    try {
      this.child.send(message);
    } catch {
      // The channel closed under us: the process is going away.
      this.kill(KILL_REASONS.shutdown);
    }
    const first = await Promise.race([answered, this.exited]);
    if (!("type" in first))
      return { end: { kind: "exited", exit: first }, maxMemoryUsedMb: this.maxMemoryUsedMb() };
    if (first.type !== "response" && first.type !== "error") {
      return { end: { kind: "exited", exit: await this.exited }, maxMemoryUsedMb: this.maxMemoryUsedMb() };
    }
    await this.outputOf(requestId);
    const maxMemoryUsedMb = this.maxMemoryUsedMb(first.maxRssKb);
    if (first.type === "response")
      return { end: { kind: "response", responseJson: first.responseJson }, maxMemoryUsedMb };
    const { errorType, errorMessage, trace } = first;
    if (first.fatal) {
      // The runtime exits right after reporting an uncaught error: let it, so the next invocation
      // starts a new sandbox instead of meeting a dying one.
      const timer = setTimeout(() => this.kill(KILL_REASONS.shutdown), 1_000);
      await this.exited;
      clearTimeout(timer);
    }
    return {
      end: { kind: "error", error: { errorType, errorMessage, trace }, fatal: first.fatal },
      maxMemoryUsedMb,
    };
  }

  /** SIGKILL, as Lambda ends an environment at a timeout or its memory limit; the first reason sticks. */
  kill(reason: KillReason): void {
    if (!this.alive) return;
    this.killReason ??= reason;
    this.child.kill("SIGKILL");
  }

  /** Resolves once the process is gone. */
  whenExited(): Promise<SandboxExit> {
    return this.exited;
  }

  private nextMessage(): Promise<SandboxMessage> {
    return new Promise((resolve) => {
      this.messageWaiter = (message) => {
        this.messageWaiter = undefined;
        resolve(message);
      };
    });
  }

  /** Waits until both streams carried the invocation's end marker (bounded: a flooded pipe must not hang us). */
  private async outputOf(requestId: string): Promise<void> {
    const done = () => (this.markersSeen.get(requestId) ?? 0) >= 2;
    if (!done()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(finish, OUTPUT_GRACE_MS);
        const waiter = () => {
          if (done()) finish();
        };
        this.markerWaiter = waiter;
        function finish() {
          clearTimeout(timer);
          resolve();
        }
      });
      this.markerWaiter = undefined;
    }
    this.markersSeen.delete(requestId);
  }

  private forwardLines(stream: NodeJS.ReadableStream | null): void {
    if (stream === null) return;
    let pending = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      pending += chunk;
      let newline = pending.indexOf("\n");
      while (newline >= 0) {
        this.onLine(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        newline = pending.indexOf("\n");
      }
    });
    stream.on("end", () => {
      if (pending !== "") this.onLine(pending);
      pending = "";
    });
  }

  private onLine(line: string): void {
    if (line.startsWith(this.endMarker)) {
      const requestId = line.slice(this.endMarker.length + 1);
      this.markersSeen.set(requestId, (this.markersSeen.get(requestId) ?? 0) + 1);
      this.markerWaiter?.();
      return;
    }
    if (line.includes("JavaScript heap out of memory")) this.heapExhausted = true;
    this.config.output(line);
  }
}
