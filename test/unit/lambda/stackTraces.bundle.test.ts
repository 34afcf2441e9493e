/**
 * Stack traces of the deployed bundle read its source map on the first trace, not at INIT
 * (`functions/lib/lambda/stackTraces.ts`). The fixture is built with the construct's bundle
 * definition (minified, source maps without sources) and run in a process of its own, without
 * `--enable-source-maps`, as the construct deploys it (test/infra checks the functions' environment).
 */
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { mapStackTracesLazily } from "../../../functions/lib/lambda/stackTraces";
import { buildLambdaBundle } from "../../../infra/bundling/lambdaBundle";

const OUT = resolve("node_modules/.cache/stack-traces", `${process.pid}`);
let bundle = "";

interface FixtureReport {
  readonly beforeTrace: number;
  readonly afterCreate: number;
  readonly afterTrace: number;
  readonly stack: string;
}

function run(nodeOptions = ""): FixtureReport {
  const output = execFileSync(process.execPath, [bundle], {
    env: { ...process.env, NODE_OPTIONS: nodeOptions },
    encoding: "utf8",
  });
  return JSON.parse(output) as FixtureReport;
}

beforeAll(async () => {
  rmSync(OUT, { recursive: true, force: true });
  bundle = await buildLambdaBundle(resolve("test/fixtures/stackTraces/throwing.ts"), join(OUT, "index.mjs"));
}, 60_000);

describe("stack traces of the bundle", () => {
  it("name the TypeScript source and line, as --enable-source-maps would", () => {
    const { stack } = run();

    expect(stack.split("\n")[0]).toBe("Error: mapped?");
    expect(stack).toMatch(/at failDeep \(.*test\/fixtures\/stackTraces\/throwing\.ts:8:\d+\)/);
  });

  it("read no map until the first trace is made, and one then", () => {
    const report = run();

    expect(report.beforeTrace).toBe(0);
    // Creating the error captures its frames; only reading `stack` formats them.
    expect(report.afterCreate).toBe(0);
    expect(report.afterTrace).toBeGreaterThanOrEqual(1);
  });

  it("leave the mapping to Node when the function sets --enable-source-maps anyway", () => {
    const report = run("--enable-source-maps");

    expect(report.afterTrace).toBe(0);
    expect(report.stack).toMatch(/throwing\.ts:8:\d+/);
  });

  it("keep V8's minified positions when the map is gone, and still make a trace", () => {
    rmSync(`${bundle}.map`);
    try {
      const { stack } = run();

      expect(stack.split("\n")[0]).toBe("Error: mapped?");
      expect(stack).toMatch(/index\.mjs:\d+:\d+/);
    } finally {
      rmSync(OUT, { recursive: true, force: true });
    }
  });

  it("leave a formatter someone else installed (a test runner, source-map-support) in place", () => {
    const before = Error.prepareStackTrace;
    const theirs = () => "their trace";
    Error.prepareStackTrace = theirs;
    try {
      mapStackTracesLazily();

      expect(Error.prepareStackTrace).toBe(theirs);
    } finally {
      Error.prepareStackTrace = before;
    }
  });
});
