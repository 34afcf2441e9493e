import { readFileSync } from "node:fs";

/**
 * Resident memory of a process in bytes, from Linux's `/proc/<pid>/status` (`VmRSS`); undefined where
 * there is no such file (another OS, or the process is gone). Read synchronously: it is a few
 * hundred bytes from the kernel, cheaper than a promise.
 */
export function residentBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "latin1");
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** Whether this OS lets the watchdog see a process's resident memory. */
export function canWatchMemory(): boolean {
  return residentBytes(process.pid) !== undefined;
}
