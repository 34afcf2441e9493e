import { describe, expect, it } from "vitest";
import { runChild, succeeded } from "../../../bench/childRun";

/** A child that prints `lines` and then exits with `code`, or never exits (Node's exit hang). */
function child(lines: readonly string[], end: { exit: number } | "hang"): string[] {
  const print = lines.map((l) => `console.log(${JSON.stringify(l)});`).join("");
  const after = end === "hang" ? "setInterval(() => {}, 1000);" : `process.exitCode = ${end.exit};`;
  return ["-e", `${print}${after}`];
}

describe("runChild", () => {
  it("returns a child's output and exit code when it exits by itself", async () => {
    const seen: string[] = [];
    const run = await runChild(process.execPath, child(["a", "done"], { exit: 0 }), {
      label: "test",
      onLine: (line) => seen.push(line),
      complete: () => seen.includes("done"),
    });

    expect(seen).toEqual(["a", "done"]);
    expect(run).toMatchObject({ code: 0, complete: true, killedAfterOutput: false });
    expect(succeeded(run)).toBe(true);
  });

  it("kills a child that does not exit once its output is complete, and counts the run", async () => {
    const seen: string[] = [];
    const started = Date.now();
    const run = await runChild(process.execPath, child(["done"], "hang"), {
      label: "test",
      onLine: (line) => seen.push(line),
      complete: () => seen.includes("done"),
      exitGraceMs: 200,
    });

    expect(Date.now() - started).toBeLessThan(10_000);
    expect(run).toMatchObject({ code: null, complete: true, killedAfterOutput: true });
    expect(succeeded(run)).toBe(true);
  });

  it("fails a child that exits before its output is complete, or exits non-zero", async () => {
    const earlyLines: string[] = [];
    const early = await runChild(process.execPath, child(["a"], { exit: 0 }), {
      label: "test",
      onLine: (line) => earlyLines.push(line),
      complete: () => earlyLines.includes("done"),
    });
    const failingLines: string[] = [];
    const failing = await runChild(process.execPath, child(["done"], { exit: 3 }), {
      label: "test",
      onLine: (line) => failingLines.push(line),
      complete: () => failingLines.includes("done"),
    });

    expect(succeeded(early)).toBe(false);
    expect(failing.code).toBe(3);
    expect(succeeded(failing)).toBe(false);
  });
});
