import { setTimeout as sleep } from "node:timers/promises";
import { StackError } from "../errors";

/** Polls `done` until it is true; fails naming what it waited for, and the last state seen. */
export async function waitFor(
  what: string,
  timeoutMs: number,
  done: () => Promise<boolean>,
  lastSeen: () => string = () => "",
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) {
      const seen = lastSeen();
      throw new StackError(
        `timed out after ${timeoutMs} ms waiting for ${what}${seen === "" ? "" : ` (${seen})`}`,
        {
          service: "kafka",
        },
      );
    }
    await sleep(intervalMs);
  }
}
