/**
 * Background processes of the stack: launched in their own process group so `down` can stop a JVM
 * and anything it forked together, and recorded in pid files so a later `up` can find them.
 */
import { execFileSync, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { type FileHandle, mkdir, open, readFile, rename, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface LaunchSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly logFile: string;
  readonly pidFile: string;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Starts a detached process with stdout and stderr in its log file, records its pid. The previous
 * run's log is kept as `<log>.previous`: how a broker stopped (a shutdown that hung until SIGKILL,
 * say) is in the log its restart would otherwise overwrite.
 */
export async function launchDetached(spec: LaunchSpec): Promise<number> {
  await mkdir(dirname(spec.logFile), { recursive: true });
  await mkdir(dirname(spec.pidFile), { recursive: true });
  await rename(spec.logFile, `${spec.logFile}.previous`).catch(() => undefined);
  const log = openSync(spec.logFile, "w");
  try {
    const child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      detached: true,
      stdio: ["ignore", log, log],
      env: spec.env ?? process.env,
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once("error", reject);
      child.once("spawn", () => {
        if (child.pid === undefined) reject(new Error(`${spec.command} did not start`));
        else resolve(child.pid);
      });
    });
    child.unref();
    await writeFile(spec.pidFile, `${pid}\n`);
    return pid;
  } finally {
    closeSync(log);
  }
}

/** The pid in the file if that process is alive and its command line carries the marker. */
export async function readLivePid(pidFile: string, marker: string): Promise<number | undefined> {
  let raw: string;
  try {
    raw = await readFile(pidFile, "utf8");
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(raw.trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  // A whole argument, not a substring: node `kafka`'s marker is a prefix of node `kafka-1`'s.
  return isProcessAlive(pid) && commandLineOf(pid).includes(marker) ? pid : undefined;
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else, so it is not ours either way.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * True when the process is stopped by a signal (SIGSTOP): it holds its ports and accepts
 * connections, but answers nothing until SIGCONT.
 */
export function isProcessPaused(pid: number): boolean {
  try {
    if (existsSync("/proc")) {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // "pid (command) state ...": the command may hold spaces and parentheses, the state follows the last ")".
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      return state === "T" || state === "t";
    }
    return execFileSync("ps", ["-o", "state=", "-p", String(pid)], { encoding: "utf8" })
      .trim()
      .startsWith("T");
  } catch {
    return false;
  }
}

function commandLineOf(pid: number): string[] {
  try {
    if (existsSync("/proc")) return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    // macOS has no /proc, and ps joins the arguments with spaces; our markers hold none.
    return execFileSync("ps", ["-ww", "-o", "args=", "-p", String(pid)], { encoding: "utf8" })
      .trim()
      .split(" ");
  } catch {
    return [];
  }
}

/**
 * SIGTERM to the whole process group, then SIGKILL once `timeoutMs` has passed; Kafka needs the grace
 * period to close its logs cleanly, so the next start does not run recovery.
 */
export async function stopProcessGroup(pid: number, timeoutMs: number): Promise<"terminated" | "killed"> {
  signalGroup(pid, "SIGTERM");
  // A paused process (SIGSTOP) only acts on SIGTERM once it runs again.
  signalGroup(pid, "SIGCONT");
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isProcessAlive(pid)) return "terminated";
    await sleep(100);
  }
  signalGroup(pid, "SIGKILL");
  while (isProcessAlive(pid)) await sleep(50);
  return "killed";
}

/** Signals the process group the process leads (our launches each lead one), else the process. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

export async function removePidFile(pidFile: string): Promise<void> {
  await rm(pidFile, { force: true });
}

/** True when something accepts TCP connections on the port. */
export function isPortOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * Distinct error lines (log ERROR/FATAL lines and "Caused by:" causes) from the end of a log, first
 * seen first: a JVM's last 40 lines are often one stack trace, and the line that names the cause
 * (a port in use, a bad setting) is above it.
 */
export async function errorLines(file: string, max = 6): Promise<string[]> {
  const text = await tailFile(file, 2_000);
  const seen = new Set<string>();
  for (const line of text.split("\n")) {
    const match = /^Caused by: (.*)$|^\S.* (?:ERROR|FATAL|SEVERE) (.*)$/.exec(line.trim());
    const message = match?.[1] ?? match?.[2];
    if (message !== undefined) seen.add(message.trim());
    if (seen.size >= max) break;
  }
  return [...seen];
}

/** The last lines of a log file, or "" when there is none yet; reads only the file's end. */
export async function tailFile(file: string, lines = 40, maxBytes = 64 * 1024): Promise<string> {
  let handle: FileHandle;
  try {
    handle = await open(file, "r");
  } catch {
    return "";
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    const all = buffer.toString("utf8").replace(/\s+$/, "").split("\n");
    return all.slice(-lines).join("\n");
  } finally {
    await handle.close();
  }
}
