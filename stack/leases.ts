import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isProcessAlive } from "./processes";
import type { StackLayout } from "./types";

/**
 * A test run's claim on the stack. The run that started the services stops them at its end only
 * when no other run (another terminal, an editor's test watcher) still holds a lease, so one
 * finishing suite never pulls the broker from under another.
 */
export interface StackLease {
  readonly file: string;
}

export async function acquireStackLease(layout: StackLayout): Promise<StackLease> {
  const dir = leaseDir(layout);
  await mkdir(dir, { recursive: true });
  const file = join(dir, String(process.pid));
  await writeFile(file, `${new Date().toISOString()}\n`);
  return { file };
}

/** Releases the lease; returns how many other live runs still hold one. */
export async function releaseStackLease(layout: StackLayout, lease: StackLease): Promise<number> {
  await rm(lease.file, { force: true });
  let others = 0;
  for (const name of await readdir(leaseDir(layout)).catch(() => [] as string[])) {
    const pid = Number.parseInt(name, 10);
    if (Number.isInteger(pid) && isProcessAlive(pid)) others += 1;
    else await rm(join(leaseDir(layout), name), { force: true });
  }
  return others;
}

function leaseDir(layout: StackLayout): string {
  return join(layout.runDir, "leases");
}
