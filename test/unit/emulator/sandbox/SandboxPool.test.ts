import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { InvocationResult } from "../../../../emulator/functionInvoker";
import { SandboxPool, type SandboxPoolOptions } from "../../../../emulator/sandbox/SandboxPool";

const BEHAVIOURS = fileURLToPath(new URL("../handlers/behaviours.ts", import.meta.url));
const FAILING_INIT = fileURLToPath(new URL("../handlers/failingInit.ts", import.meta.url));

const pools: SandboxPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

/** A pool for the behaviours handler, collecting its log stream. */
function pool(options: Partial<SandboxPoolOptions> = {}) {
  const lines: string[] = [];
  const sandboxes = new SandboxPool({
    modulePath: BEHAVIOURS,
    exportName: "handler",
    functionName: "sandbox-test",
    functionArn: "arn:aws:lambda:us-east-1:000000000000:function:sandbox-test",
    memorySizeMb: 256,
    region: "us-east-1",
    timeoutMs: 3_000,
    environment: { FUNCTION_SETTING: "from the function's configuration" },
    inherited: { PATH: process.env.PATH, AWS_LAMBDA_FUNCTION_NAME: "leaked-from-the-parent" },
    functionLog: (line) => lines.push(line),
    ...options,
  });
  pools.push(sandboxes);
  return { sandboxes, lines };
}

let sequence = 0;
function invoke(sandboxes: SandboxPool, behaviour: Record<string, unknown>): Promise<InvocationResult> {
  sequence += 1;
  return sandboxes.invoke({
    requestId: `00000000-0000-4000-8000-${String(sequence).padStart(12, "0")}`,
    eventJson: JSON.stringify(behaviour),
    records: 1,
  });
}

function value(result: InvocationResult): Record<string, unknown> {
  if (result.outcome.kind !== "returned") throw new Error(`expected a response, got ${result.outcome.kind}`);
  return result.outcome.value as Record<string, unknown>;
}

describe("SandboxPool", () => {
  it("runs INIT once, reuses the warm sandbox, and writes Lambda's START/END/REPORT lines around the function's output", async () => {
    const { sandboxes, lines } = pool();

    const cold = await invoke(sandboxes, { do: "echo" });
    const warm = await invoke(sandboxes, { do: "echo" });

    expect(value(warm).pid).toBe(value(cold).pid);
    expect(value(warm).invocations).toBe(2);
    expect(cold.report.initDurationMs).toBeGreaterThan(0);
    expect(warm.report.initDurationMs).toBeUndefined();
    const id = cold.report.requestId;
    const first = lines.slice(0, lines.indexOf(`END RequestId: ${id}`) + 2);
    expect(first[0]).toBe(`START RequestId: ${id} Version: $LATEST`);
    expect(first[1]).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\t${id}\\tINFO\\thandling echo$`));
    expect(first[3]).toMatch(
      new RegExp(
        `^REPORT RequestId: ${id}\\tDuration: \\d+\\.\\d\\d ms\\tBilled Duration: \\d+ ms\\tMemory Size: 256 MB\\tMax Memory Used: \\d+ MB\\tInit Duration: \\d+\\.\\d\\d ms$`,
      ),
    );
    expect(lines.at(-1)).toMatch(/^REPORT RequestId: .*Max Memory Used: \d+ MB$/);
    expect(cold.report.billedDurationMs).toBe(
      Math.ceil(cold.report.durationMs + (cold.report.initDurationMs ?? 0)),
    );
    expect(cold.report.maxMemoryUsedMb).toBeGreaterThan(10);
  });

  it("gives the handler Lambda's heap flags, context and variables, but not AWS_LAMBDA_FUNCTION_NAME", async () => {
    const { sandboxes } = pool();

    const echoed = value(await invoke(sandboxes, { do: "echo" }));

    expect(echoed.execArgv).toEqual(
      expect.arrayContaining(["--max-semi-space-size=12", "--max-old-space-size=230"]),
    );
    expect(echoed).toMatchObject({ functionName: "sandbox-test", memoryLimitInMB: "256" });
    expect(echoed.remainingMs).toBeGreaterThan(2_000);
    expect(echoed.remainingMs).toBeLessThanOrEqual(3_000);
    expect(echoed.env).toEqual({
      AWS_LAMBDA_FUNCTION_NAME: null,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "256",
      AWS_EXECUTION_ENV: "AWS_Lambda_nodejs24.x",
      FUNCTION_SETTING: "from the function's configuration",
      TZ: ":UTC",
    });
  });

  it("SIGKILLs the sandbox at the timeout, fails the invocation as Lambda does, and starts cold next time", async () => {
    const { sandboxes, lines } = pool({ timeoutMs: 1_000 });
    const before = value(await invoke(sandboxes, { do: "echo" }));

    const timedOut = await invoke(sandboxes, { do: "sleep", ms: 10_000 });
    const after = await invoke(sandboxes, { do: "echo" });

    expect(timedOut.outcome).toEqual({ kind: "timed-out", timeoutMs: 1_000 });
    expect(timedOut.report).toMatchObject({ status: "timeout", billedDurationMs: 1_000 });
    expect(timedOut.report.durationMs).toBeLessThan(2_000);
    expect(
      lines.some((l) => l.endsWith(`${timedOut.report.requestId} Task timed out after 1.00 seconds`)),
    ).toBe(true);
    expect(lines.find((l) => l.startsWith(`REPORT RequestId: ${timedOut.report.requestId}`))).toMatch(
      /\tStatus: timeout$/,
    );
    expect(isRunning(before.pid as number)).toBe(false);
    expect(after.report.initDurationMs).toBeDefined();
    expect(value(after).pid).not.toBe(before.pid);
  });

  it("kills a sandbox whose resident memory passes the memory size: Runtime.OutOfMemory, signal: killed", async () => {
    const { sandboxes, lines } = pool({ memorySizeMb: 128 });

    const result = await invoke(sandboxes, { do: "allocate", mb: 400 });
    const next = await invoke(sandboxes, { do: "echo" });

    expect(result.outcome).toEqual({
      kind: "runtime-exited",
      errorType: "Runtime.OutOfMemory",
      message: "Runtime exited with error: signal: killed",
    });
    expect(result.report.maxMemoryUsedMb).toBeGreaterThan(128);
    expect(lines).toContain(
      `RequestId: ${result.report.requestId} Error: Runtime exited with error: signal: killed`,
    );
    expect(lines.find((l) => l.startsWith(`REPORT RequestId: ${result.report.requestId}`))).toMatch(
      /\tStatus: error\tError Type: Runtime\.OutOfMemory$/,
    );
    expect(next.report.initDurationMs).toBeDefined();
  });

  describe.each([
    {
      name: "process.exit(3)",
      behaviour: { do: "exit", code: 3 },
      outcome: {
        kind: "runtime-exited",
        errorType: "Runtime.ExitError",
        message: "Runtime exited with error: exit status 3",
      },
    },
    {
      name: "an uncaught exception outside the handler's promise",
      behaviour: { do: "uncaught" },
      outcome: { kind: "threw", name: "RangeError", message: "thrown outside the handler's promise" },
    },
    {
      name: "an unhandled rejection outside the handler's promise",
      behaviour: { do: "reject" },
      outcome: {
        kind: "threw",
        name: "Runtime.UnhandledPromiseRejection",
        message: "Error: a stray rejection",
      },
    },
  ])("$name", ({ behaviour, outcome }) => {
    it("fails the invocation and ends the sandbox, so the next invocation starts cold", async () => {
      const { sandboxes } = pool();
      const before = value(await invoke(sandboxes, { do: "echo" }));

      const crashed = await invoke(sandboxes, behaviour);
      const after = await invoke(sandboxes, { do: "echo" });

      if (outcome.kind === "threw") {
        expect(crashed.outcome.kind).toBe("threw");
        const error = (crashed.outcome as { error: Error }).error;
        expect({ name: error.name, message: error.message }).toEqual({
          name: outcome.name,
          message: outcome.message,
        });
      } else {
        expect(crashed.outcome).toEqual(outcome);
      }
      expect(isRunning(before.pid as number)).toBe(false);
      expect(after.report.initDurationMs).toBeDefined();
    });
  });

  it("keeps the sandbox warm when the handler itself throws", async () => {
    const { sandboxes } = pool();
    const before = value(await invoke(sandboxes, { do: "echo" }));

    const threw = await invoke(sandboxes, { do: "throw" });
    const after = await invoke(sandboxes, { do: "echo" });

    expect(threw.outcome.kind).toBe("threw");
    expect((threw.outcome as { error: Error }).error.name).toBe("TypeError");
    expect(threw.report).toMatchObject({ status: "error", errorType: "TypeError" });
    expect(value(after).pid).toBe(before.pid);
    expect(after.report.initDurationMs).toBeUndefined();
  });

  it("reports a failing INIT as the invocation's error and tries INIT again next time", async () => {
    const { sandboxes } = pool({ modulePath: FAILING_INIT });

    const first = await invoke(sandboxes, { do: "echo" });
    const second = await invoke(sandboxes, { do: "echo" });

    for (const result of [first, second]) {
      expect(result.outcome.kind).toBe("threw");
      expect((result.outcome as { error: Error }).error.message).toBe("bad configuration at INIT");
      expect(result.report.initDurationMs).toBeDefined();
    }
  });

  it("times INIT: Init Duration covers the module's top-level code", async () => {
    const { sandboxes } = pool({ environment: { INIT_DELAY_MS: "300" } });

    const cold = await invoke(sandboxes, { do: "echo" });

    expect(cold.report.initDurationMs).toBeGreaterThanOrEqual(300);
  });
});

describe("SandboxPool fault hooks", () => {
  it("killAfterMs SIGKILLs the sandbox mid-invocation: Runtime.ExitError, signal: killed", async () => {
    const { sandboxes } = pool({ faults: { killAfterMs: (i) => (i.sequence === 1 ? 200 : undefined) } });

    const killed = await invoke(sandboxes, { do: "sleep", ms: 2_000 });
    const next = await invoke(sandboxes, { do: "echo" });

    expect(killed.outcome).toEqual({
      kind: "runtime-exited",
      errorType: "Runtime.ExitError",
      message: "Runtime exited with error: signal: killed",
    });
    expect(killed.report.injectedKill).toBe(true);
    expect(next.report.initDurationMs).toBeDefined();
  });

  it("killAny() kills a sandbox that is in the middle of an invocation, and only then", async () => {
    const { sandboxes } = pool();
    await invoke(sandboxes, { do: "echo" });
    expect(sandboxes.killAny()).toBe(false);

    const running = invoke(sandboxes, { do: "sleep", ms: 2_000 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(sandboxes.killAny()).toBe(true);
    const killed = await running;

    expect(killed.outcome.kind).toBe("runtime-exited");
    expect(killed.report.injectedKill).toBe(true);
    expect(sandboxes.live).toBe(0);
  });

  it("holdResponseMs keeps a finished handler's response past the timeout: the invocation times out", async () => {
    const { sandboxes } = pool({ timeoutMs: 1_000, faults: { holdResponseMs: () => 5_000 } });

    const held = await invoke(sandboxes, { do: "echo" });

    expect(held.outcome.kind).toBe("timed-out");
  });

  it("memorySpikeMb fills the sandbox past its memory size: an out-of-memory kill", async () => {
    const { sandboxes } = pool({ memorySizeMb: 128, faults: { memorySpikeMb: () => 512 } });

    const spiked = await invoke(sandboxes, { do: "sleep", ms: 3_000 });

    expect(spiked.outcome).toMatchObject({ kind: "runtime-exited", errorType: "Runtime.OutOfMemory" });
  });
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("SandboxPool.prewarm", () => {
  it("runs INIT ahead, as provisioned concurrency does: the first invocations are warm", async () => {
    const { sandboxes } = pool();

    expect(await sandboxes.prewarm(2)).toBe(2);
    const [a, b] = await Promise.all([
      invoke(sandboxes, { do: "sleep", ms: 200 }),
      invoke(sandboxes, { do: "echo" }),
    ]);

    expect(sandboxes.live).toBe(2);
    expect(a?.report.initDurationMs).toBeUndefined();
    expect(b?.report.initDurationMs).toBeUndefined();
  });
});
