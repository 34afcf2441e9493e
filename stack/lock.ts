import { link, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { StackError } from "./errors";
import { isProcessAlive } from "./processes";
import type { StackLayout } from "./types";

/** Numbers lock candidates across every holder of this process. */
let attempt = 0;

/**
 * Runs `action` holding `.stack/run/lock`, so two starts from the same checkout (a test run and a
 * `stack:up` in another terminal) never launch two brokers on one port. A lock left by a process
 * that died is taken over.
 */
export async function withStackLock<T>(
  layout: StackLayout,
  timeoutMs: number,
  action: () => Promise<T>,
): Promise<T> {
  await mkdir(layout.runDir, { recursive: true });
  const lockFile = join(layout.runDir, "lock");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Written aside, then linked into place: the lock never exists without the holder's pid in it.
    // One name per attempt: two holders in one process must not remove each other's candidate.
    attempt += 1;
    const candidate = `${lockFile}.${process.pid}.${attempt}`;
    await writeFile(candidate, `${process.pid}\n`);
    try {
      await link(candidate, lockFile);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    } finally {
      await rm(candidate, { force: true });
    }
    const holder = Number.parseInt(await readFile(lockFile, "utf8").catch(() => ""), 10);
    if (!Number.isInteger(holder) || !isProcessAlive(holder)) {
      await rm(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new StackError(`another process (pid ${holder}) holds ${lockFile}; is a stack start stuck?`);
    }
    await sleep(200);
  }
  try {
    return await action();
  } finally {
    await rm(lockFile, { force: true });
  }
}
