import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { stackLayout } from "../../../stack/layout";
import { acquireStackLease, releaseStackLease } from "../../../stack/leases";
import { withStackLock } from "../../../stack/lock";

let dir: string | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

async function layout() {
  dir = await mkdtemp(join(tmpdir(), "stack-lock-"));
  return stackLayout({ stackDir: dir });
}

describe("withStackLock", () => {
  it("runs one holder at a time", async () => {
    const l = await layout();
    const events: string[] = [];
    const hold = (name: string) =>
      withStackLock(l, 5_000, async () => {
        events.push(`${name} in`);
        await sleep(100);
        events.push(`${name} out`);
      });

    await Promise.all([hold("a"), hold("b")]);

    expect(events).toHaveLength(4);
    expect(events[0]?.replace(/^. /, "")).toBe("in");
    expect(events[1]?.replace(/^. /, "")).toBe("out");
    expect(events[0]?.[0]).toBe(events[1]?.[0]);
  });

  it("serialises many holders of one process, each waiting its turn", async () => {
    // Holders in one process once shared one candidate file: one holder's clean-up removed it
    // under another's link(), which failed with ENOENT instead of waiting.
    const l = await layout();
    let inside = 0;
    let most = 0;
    const hold = () =>
      withStackLock(l, 20_000, async () => {
        inside += 1;
        most = Math.max(most, inside);
        await sleep(5);
        inside -= 1;
      });

    await Promise.all(Array.from({ length: 12 }, hold));

    expect(most).toBe(1);
  });

  it("takes over a lock left by a process that no longer exists", async () => {
    const l = await layout();
    await mkdir(l.runDir, { recursive: true });
    await writeFile(join(l.runDir, "lock"), "2147483646\n");

    const result = await withStackLock(l, 1_000, async () => "got it");

    expect(result).toBe("got it");
  });

  it("gives up with a message naming the holder when the lock stays taken", async () => {
    const l = await layout();
    await mkdir(l.runDir, { recursive: true });
    await writeFile(join(l.runDir, "lock"), `${process.ppid}\n`);

    const attempt = withStackLock(l, 300, async () => "never");

    await expect(attempt).rejects.toThrow(`another process (pid ${process.ppid}) holds`);
  });
});

describe("stack leases", () => {
  it("counts other live test runs and forgets dead ones", async () => {
    const l = await layout();
    const mine = await acquireStackLease(l);
    await writeFile(join(l.runDir, "leases", String(process.ppid)), "");
    await writeFile(join(l.runDir, "leases", "2147483646"), "");

    const others = await releaseStackLease(l, mine);

    expect(others).toBe(1);
  });
});
