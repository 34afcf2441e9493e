/**
 * The fault campaign: N seeded runs, one line each, a summary table and a JSON report. Zero missing
 * records, zero inconsistencies and zero order violations is the only pass.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { bundleHandler } from "../../emulator/bundleHandler";
import type { FaultKind } from "./faultPlan";
import { type ChaosRunResult, runChaos } from "./runChaos";

export interface CampaignOptions {
  readonly runs: number;
  readonly records: number;
  readonly seed: number;
  readonly brokers: number;
  readonly faults: readonly FaultKind[];
  readonly reportFile: string;
  readonly log: (line: string) => void;
}

export interface CampaignResult {
  readonly runs: readonly ChaosRunResult[];
  /** Runs that could not be carried out. */
  readonly errors: readonly string[];
  readonly passed: boolean;
}

const HANDLER = new URL("./chaosHandler.ts", import.meta.url).pathname;

export async function runCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const bundle = await bundleHandler(HANDLER);
  const runs: ChaosRunResult[] = [];
  const errors: string[] = [];
  for (let i = 0; i < options.runs; i += 1) {
    const seed = options.seed + i;
    let result: ChaosRunResult;
    try {
      result = await runChaos({
        seed,
        records: options.records,
        brokers: options.brokers,
        faults: options.faults,
        bundle,
      });
    } catch (error) {
      // The run could not be carried out (or checked): a failure of the campaign, never a pass.
      errors.push(`seed ${seed}: ${(error as Error).message}`);
      options.log(`seed ${seed} | ERROR ${(error as Error).message}`);
      options.log(`    replay: ${replayCommand(seed, options)}`);
      continue;
    }
    runs.push(result);
    options.log(runLine(result));
    if (!runPassed(result)) {
      for (const problem of problemsOf(result).slice(0, 10)) options.log(`    ${problem}`);
      options.log(`    replay: ${replayCommand(seed, options)}`);
    }
  }
  const passed = errors.length === 0 && runs.every(runPassed);
  options.log("");
  for (const line of summaryTable(runs)) options.log(line);
  mkdirSync(dirname(options.reportFile), { recursive: true });
  writeFileSync(
    options.reportFile,
    `${JSON.stringify({ date: new Date().toISOString(), options: { ...options, log: undefined }, passed, errors, runs }, null, 2)}\n`,
  );
  options.log(`report: ${options.reportFile}`);
  return { runs, errors, passed };
}

export function runPassed(run: ChaosRunResult): boolean {
  const v = run.verification;
  return (
    v.missing.length === 0 &&
    v.unprocessed.length === 0 &&
    v.inconsistencies.length === 0 &&
    v.orderViolations.length === 0
  );
}

function problemsOf(run: ChaosRunResult): string[] {
  const v = run.verification;
  return [
    ...v.missing.map((id) => `missing ${id}`),
    ...(v.unprocessed.length > 0
      ? [`${v.unprocessed.length} records never acknowledged, e.g. ${v.unprocessed[0]}`]
      : []),
    ...v.inconsistencies,
    ...v.orderViolations.map((o) => `order: ${o}`),
  ];
}

export function runLine(run: ChaosRunResult): string {
  const v = run.verification;
  const r = run.runtime;
  return [
    `seed ${run.seed}`,
    `faults ${run.faults.join(" ") || "none"}${run.injectionErrors.length > 0 ? ` (not injected: ${run.injectionErrors.length})` : ""}`,
    `records ${v.records} target ${v.target} dead ${v.deadLettered} on-failure ${v.onFailure}`,
    `missing ${v.missing.length} unprocessed ${v.unprocessed.length} inconsistent ${v.inconsistencies.length} duplicates ${v.duplicates} order ${v.orderViolations.length}`,
    `invocations ${run.invocations} timeouts ${run.timeouts} oom ${r.outOfMemory} kills ${r.injectedKills} cold ${r.coldStarts}${run.mappingRestarts.length > 0 ? ` mapping restarts ${run.mappingRestarts.length}` : ""}`,
    `${(run.durationMs / 1000).toFixed(0)} s`,
    runPassed(run) ? "PASS" : "FAIL",
  ].join(" | ");
}

export function summaryTable(runs: readonly ChaosRunResult[]): string[] {
  const header =
    "| seed | faults | records | target | dead | on-failure | missing | inconsistent | duplicates | order | invocations | timeouts | OOM | kills | cold starts | result |";
  const rule = `|${header
    .split("|")
    .slice(1, -1)
    .map(() => "---")
    .join("|")}|`;
  const rows = runs.map((run) => {
    const v = run.verification;
    const r = run.runtime;
    return `| ${run.seed} | ${run.faults.join(", ") || "none"} | ${v.records} | ${v.target} | ${v.deadLettered} | ${v.onFailure} | ${v.missing.length} | ${v.inconsistencies.length} | ${v.duplicates} | ${v.orderViolations.length} | ${run.invocations} | ${run.timeouts} | ${r.outOfMemory} | ${r.injectedKills} | ${r.coldStarts} | ${runPassed(run) ? "pass" : "FAIL"} |`;
  });
  const sum = (f: (run: ChaosRunResult) => number) => runs.reduce((s, run) => s + f(run), 0);
  const total = `| all ${runs.length} | | ${sum((r) => r.verification.records)} | ${sum((r) => r.verification.target)} | ${sum((r) => r.verification.deadLettered)} | ${sum((r) => r.verification.onFailure)} | ${sum((r) => r.verification.missing.length)} | ${sum((r) => r.verification.inconsistencies.length)} | ${sum((r) => r.verification.duplicates)} | ${sum((r) => r.verification.orderViolations.length)} | ${sum((r) => r.invocations)} | ${sum((r) => r.timeouts)} | ${sum((r) => r.runtime.outOfMemory)} | ${sum((r) => r.runtime.injectedKills)} | ${sum((r) => r.runtime.coldStarts)} | ${runs.every(runPassed) ? "pass" : "FAIL"} |`;
  return [header, rule, ...rows, total];
}

function replayCommand(seed: number, options: CampaignOptions): string {
  return `npm run chaos -- --runs 1 --seed ${seed} --records ${options.records} --brokers ${options.brokers} --faults ${options.faults.join(",")}`;
}
