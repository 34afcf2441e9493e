/**
 * `npm run bench [-- <name>...]`: runs every `bench/*.bench.ts` module (each exports
 * `benchmark: Benchmark`, or a `run<Name>Benchmark` function returning its lines), one after the
 * other, prints their reports and then one table of every ratio against its goal, and writes the
 * same to `bench/results.json` (git-ignored) with the date, commit, Node version and machine. Exit
 * status 1 when a benchmark fails to run; a missed goal is reported, not fatal (shared machines are
 * noisy).
 */
import { execFileSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { silenceKafkajsTimeoutWarning } from "../stack/warnings";
import type { BenchContext, Benchmark, BenchReport } from "./benchmark";
import { formatRatioTable, type RatioRow, toRows } from "./ratioTable";

const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));

async function main(names: readonly string[]): Promise<number> {
  silenceKafkajsTimeoutWarning();
  const available = readdirSync(BENCH_DIR)
    .filter((file) => file.endsWith(".bench.ts"))
    .map((file) => file.replace(/\.bench\.ts$/, ""))
    .sort();
  const unknown = names.filter((n) => !available.includes(n));
  if (unknown.length > 0) {
    console.error(`[bench] unknown benchmark ${unknown.join(", ")}; available: ${available.join(", ")}`);
    return 2;
  }
  const scale = Number(process.env.BENCH_SCALE ?? "1");
  if (!(scale > 0)) {
    console.error(`[bench] BENCH_SCALE must be a positive number, got "${process.env.BENCH_SCALE}"`);
    return 2;
  }
  const selected = names.length > 0 ? names : available;
  const reports: [string, BenchReport | Error][] = [];
  for (const name of selected) {
    const module = (await import(new URL(`./${name}.bench.ts`, import.meta.url).href)) as Record<
      string,
      unknown
    >;
    const entry = benchmarkOf(module);
    if (entry === undefined) {
      reports.push([
        name,
        new Error(`bench/${name}.bench.ts exports neither "benchmark" nor a run…Benchmark function`),
      ]);
      continue;
    }
    console.log(`[bench] ${name}: running`);
    try {
      const report = await entry({ log: (line) => console.log(`[bench] ${name}: ${line}`), scale });
      reports.push([name, isLines(report) ? { lines: report } : report]);
    } catch (error) {
      reports.push([name, error instanceof Error ? error : new Error(String(error))]);
    }
  }
  console.log("");
  let failed = false;
  const rows: RatioRow[] = [];
  for (const [name, report] of reports) {
    if (report instanceof Error) {
      failed = true;
      console.log(`${name}: FAILED: ${report.message}`);
      continue;
    }
    console.log(`${name}:`);
    for (const line of report.lines) console.log(`  ${line}`);
    if (report.goal !== undefined) {
      console.log(`  goal: ${report.goal.description}: ${report.goal.met ? "met" : "MISSED"}`);
    }
    rows.push(...toRows(name, report.ratios ?? []));
  }
  const machine = machineOf();
  console.log("");
  console.log(
    `Ratios (${machine.date}, commit ${machine.commit}, Node ${machine.node}, ${machine.cores} cores, ` +
      `load ${machine.loadAverage.join(" ")}, BENCH_SCALE=${scale}):`,
  );
  for (const line of formatRatioTable(rows)) console.log(line);
  const results = {
    ...machine,
    benchScale: scale,
    benchmarks: selected,
    ratios: rows,
    reports: Object.fromEntries(
      reports.map(([name, report]) => [
        name,
        report instanceof Error ? { error: report.message } : { lines: report.lines, goal: report.goal },
      ]),
    ),
  };
  writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`written to ${fileURLToPath(RESULTS_FILE)}`);
  return failed ? 1 : 0;
}

const RESULTS_FILE = new URL("./results.json", import.meta.url);

/** What a reader needs to compare two runs: when, which code, which runtime, which machine. */
function machineOf() {
  const git = (...args: string[]) => {
    try {
      return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
      return "unknown";
    }
  };
  const dirty = git("status", "--porcelain", "--untracked-files=no") !== "";
  return {
    date: new Date().toISOString(),
    commit: `${git("rev-parse", "--short=12", "HEAD")}${dirty ? " (with uncommitted changes)" : ""}`,
    node: process.version,
    cores: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? "unknown",
    loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
  };
}

type Entry = (context: BenchContext) => Promise<BenchReport | readonly string[]>;

/** `benchmark`, or a function named like `runProcessingBenchmark` that returns its lines. */
function isLines(report: BenchReport | readonly string[]): report is readonly string[] {
  return Array.isArray(report);
}

function benchmarkOf(module: Record<string, unknown>): Entry | undefined {
  if (typeof module.benchmark === "function") return module.benchmark as Benchmark;
  const name = Object.keys(module).find(
    (k) => /^run\w*Benchmark$/.test(k) && typeof module[k] === "function",
  );
  return name === undefined ? undefined : (module[name] as Entry);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Handlers under test keep their producers open, as in a Lambda container.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (error: unknown) => {
    console.error(`[bench] ${String(error)}`);
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 200).unref();
  },
);
