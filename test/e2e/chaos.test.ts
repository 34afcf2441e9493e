/**
 * The CI slice of the fault campaign (issue 10 §4): a few seeded runs on the test stack (three
 * brokers), each with one to three faults, every record reconciled. `npm run chaos` runs the full
 * campaign (20 × 5,000 by default).
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { brokers } from "../../stack/cluster";
import { runCampaign } from "../../tools/chaos/campaign";
import { parseFaultKinds } from "../../tools/chaos/faultPlan";

const RUNS = Number(process.env.CHAOS_CI_RUNS ?? 2);
const RECORDS = Number(process.env.CHAOS_CI_RECORDS ?? 600);

describe(`fault campaign slice: ${RUNS} runs of ${RECORDS} records`, () => {
  it("loses no record, and every dead letter's sinks agree, whatever the faults", async () => {
    const lines: string[] = [];
    const nodes = await brokers();

    const result = await runCampaign({
      runs: RUNS,
      records: RECORDS,
      seed: Number(process.env.CHAOS_CI_SEED ?? 101),
      brokers: nodes.length,
      faults: parseFaultKinds(process.env.CHAOS_CI_FAULTS),
      reportFile: join(import.meta.dirname, "../../.chaos/ci-report.json"),
      log: (line) => {
        lines.push(line);
        console.log(line);
      },
    });

    expect(result.runs).toHaveLength(RUNS);
    expect(lines.filter((l) => l.includes("| FAIL"))).toEqual([]);
    expect(result.passed).toBe(true);
  }, 900_000);
});
