/**
 * A benchmark's child process, run until it has said all it will say, then given a few seconds to
 * exit, then killed.
 *
 * Node 24 can hang for ever at exit (nodejs/node#54918, open): the main thread joins V8's worker
 * threads while they wait, inside a concurrent Maglev compilation, for a garbage collection the
 * exiting main thread never runs. Seen here on 2026-12-02 in `npm run bench -- memory`: the
 * `lambdaRunner.ts` child had printed its last line and called `process.exit(0)`, and sat for 14
 * minutes with its main thread in `WorkerThreadsTaskRunner::Shutdown` (gdb), the whole benchmark
 * waiting on it. So a child whose output is complete counts as done, whether it exits or not.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

/** How long a child whose output is complete may take to exit before it is killed. */
export const EXIT_GRACE_MS = 5_000;

export interface ChildRunOptions {
  /** What the child runs, for the line that says it was killed. */
  readonly label: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Called with each complete stdout line, in order. */
  readonly onLine?: (line: string) => void;
  /** Whether the output so far is all the child will write. */
  readonly complete: () => boolean;
  /** @default {@link EXIT_GRACE_MS} */
  readonly exitGraceMs?: number;
}

export interface ChildRunResult {
  /** The exit code; null when the child was killed after completing its output. */
  readonly code: number | null;
  readonly complete: boolean;
  /** Set when the child completed its output but did not exit within {@link EXIT_GRACE_MS}. */
  readonly killedAfterOutput: boolean;
  /** The last 4,000 characters of its stderr. */
  readonly stderrTail: string;
}

export async function runChild(
  command: string,
  args: readonly string[],
  options: ChildRunOptions,
): Promise<ChildRunResult> {
  const child = spawn(command, [...args], { env: options.env, stdio: ["ignore", "pipe", "pipe"] });
  let stderrTail = "";
  let killTimer: NodeJS.Timeout | undefined;
  let killedAfterOutput = false;
  const graceMs = options.exitGraceMs ?? EXIT_GRACE_MS;
  const watchForCompletion = () => {
    if (killTimer !== undefined || !options.complete()) return;
    killTimer = setTimeout(() => {
      killedAfterOutput = true;
      child.kill("SIGKILL");
    }, graceMs);
  };
  createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (line) => {
    options.onLine?.(line);
    watchForCompletion();
  });
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    stderrTail = `${stderrTail}${chunk}`.slice(-4_000);
  });
  const code = await new Promise<number | null>((done) => {
    child.once("error", () => done(null));
    child.once("close", (exitCode) => done(exitCode));
  });
  clearTimeout(killTimer);
  if (killedAfterOutput) {
    process.stderr.write(
      `bench: ${options.label}: killed ${graceMs} ms after its output was complete (Node's exit hang, nodejs/node#54918)\n`,
    );
  }
  return {
    code: killedAfterOutput ? null : code,
    complete: options.complete(),
    killedAfterOutput,
    stderrTail,
  };
}

/** A run that wrote all its output and then exited 0 or was killed for not exiting. */
export function succeeded(run: ChildRunResult): boolean {
  return run.complete && (run.code === 0 || run.killedAfterOutput);
}

/** Why a run failed, for an error message: its exit code and the last lines of its stderr. */
export function failureText(run: ChildRunResult): string {
  return `exit ${run.code}: ${run.stderrTail.trim().split("\n").slice(-5).join(" | ")}`;
}
