import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  errorLines,
  isPortOpen,
  isProcessAlive,
  launchDetached,
  readLivePid,
  stopProcessGroup,
  tailFile,
} from "../../../stack/processes";

let dir: string | undefined;
const pids: number[] = [];

afterEach(async () => {
  for (const pid of pids.splice(0)) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // Already stopped by the test.
    }
  }
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function launchNode(script: string, marker: string): Promise<{ pid: number; pidFile: string }> {
  dir ??= await mkdtemp(join(tmpdir(), "stack-processes-"));
  const pidFile = join(dir, "service.pid");
  const pid = await launchDetached({
    command: process.execPath,
    // The marker goes after the script, as an argument Node leaves in /proc/<pid>/cmdline: a
    // `--title=` marker is replaced by the title as soon as Node starts, so reading it raced the child.
    args: ["-e", script, "--", marker],
    cwd: dir,
    logFile: join(dir, "service.log"),
    pidFile,
  });
  pids.push(pid);
  return { pid, pidFile };
}

describe("launchDetached / readLivePid / stopProcessGroup", () => {
  it("records the pid, recognises the process by its marker, and stops it with SIGTERM", async () => {
    const marker = `-Dstack-test=${process.pid}-a`;
    const { pid, pidFile } = await launchNode("setInterval(() => {}, 1000)", marker);

    const found = await readLivePid(pidFile, marker);
    const notOurs = await readLivePid(pidFile, "-Dstack-test=someone-else");
    const result = await stopProcessGroup(pid, 5_000);

    expect(found).toBe(pid);
    expect(notOurs).toBeUndefined();
    expect(result).toBe("terminated");
    expect(isProcessAlive(pid)).toBe(false);
  });

  it("matches the marker as a whole argument, so node kafka never claims the JVM of node kafka-1", async () => {
    const marker = `-Dstack-test=${process.pid}#kafka-1`;
    const { pid, pidFile } = await launchNode("setInterval(() => {}, 1000)", marker);

    const prefix = await readLivePid(pidFile, `-Dstack-test=${process.pid}#kafka`);
    const exact = await readLivePid(pidFile, marker);

    expect(prefix).toBeUndefined();
    expect(exact).toBe(pid);
  });

  it("kills a process that ignores SIGTERM once the grace period is over", async () => {
    const marker = `-Dstack-test=${process.pid}-b`;
    const { pid } = await launchNode(
      "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)",
      marker,
    );
    // Give Node time to install the handler, or the default SIGTERM action would end it at once.
    await waitForLog("ready");

    const began = Date.now();
    const result = await stopProcessGroup(pid, 300);

    expect(result).toBe("killed");
    expect(Date.now() - began).toBeGreaterThanOrEqual(300);
    expect(isProcessAlive(pid)).toBe(false);
  });

  it("keeps the previous run's log beside the new one, so a restart does not wipe how the last run ended", async () => {
    const marker = `-Dstack-test=${process.pid}-c`;
    const first = await launchNode("console.log('first run'); process.exit(0)", marker);
    while (isProcessAlive(first.pid)) await new Promise((resolve) => setTimeout(resolve, 20));
    await launchNode("console.log('second run'); setInterval(() => {}, 1000)", marker);
    await waitForLog("second run");

    const logFile = join(dir as string, "service.log");
    expect(await readFile(`${logFile}.previous`, "utf8")).toContain("first run");
    expect(await readFile(logFile, "utf8")).not.toContain("first run");
  });

  it("ignores a pid file whose process is gone", async () => {
    dir = await mkdtemp(join(tmpdir(), "stack-processes-"));
    const pidFile = join(dir, "stale.pid");
    await writeFile(pidFile, "2147483646\n");

    expect(await readLivePid(pidFile, "anything")).toBeUndefined();
    expect(await readLivePid(join(dir, "missing.pid"), "anything")).toBeUndefined();
  });
});

async function waitForLog(text: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    if (dir !== undefined && (await tailFile(join(dir, "service.log"))).includes(text)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`"${text}" never appeared in the log`);
}

describe("isPortOpen", () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it("tells a listening port from a closed one", async () => {
    server = createServer();
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;

    const open = await isPortOpen("127.0.0.1", port);
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    server = undefined;
    const closed = await isPortOpen("127.0.0.1", port);

    expect(open).toBe(true);
    expect(closed).toBe(false);
  });
});

describe("tailFile", () => {
  it("returns the last lines only, and nothing for a missing file", async () => {
    dir = await mkdtemp(join(tmpdir(), "stack-processes-"));
    const file = join(dir, "service.log");
    await writeFile(file, `${Array.from({ length: 100 }, (_, i) => `line ${i}`).join("\n")}\n`);

    expect(await tailFile(file, 3)).toBe("line 97\nline 98\nline 99");
    expect(await tailFile(join(dir, "missing.log"))).toBe("");
  });

  it("reads only the end of a large file", async () => {
    dir = await mkdtemp(join(tmpdir(), "stack-processes-"));
    const file = join(dir, "big.log");
    await writeFile(file, `${"x".repeat(200_000)}\nlast line\n`);

    expect(await tailFile(file, 1, 1024)).toBe("last line");
  });
});

describe("errorLines", () => {
  it("picks distinct ERROR lines and causes out of stack traces, first seen first", async () => {
    dir = await mkdtemp(join(tmpdir(), "stack-processes-"));
    const file = join(dir, "kafka.log");
    await writeFile(
      file,
      [
        "[2025-01-01 00:00:00,000] INFO starting (kafka.Kafka)",
        "[2025-01-01 00:00:01,000] ERROR Unable to start acceptor for CONTROLLER (kafka.network.DataPlaneAcceptor)",
        "\tat kafka.network.SocketServer.enableRequestProcessing(SocketServer.scala:201)",
        "Caused by: java.net.BindException: Address already in use",
        "Caused by: java.net.BindException: Address already in use",
        "[2025-01-01 00:00:02,000] INFO shutting down (kafka.Kafka)",
      ].join("\n"),
    );

    const lines = await errorLines(file);

    expect(lines).toEqual([
      "Unable to start acceptor for CONTROLLER (kafka.network.DataPlaneAcceptor)",
      "java.net.BindException: Address already in use",
    ]);
  });
});
