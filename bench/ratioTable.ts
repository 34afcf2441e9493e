/**
 * `npm run bench`'s one table: every benchmark's ratios against their goals, as printed text and as
 * the JSON `bench/results.json` keeps, so runs on different days (or commits) can be compared.
 */
import type { BenchRatio } from "./benchmark";

/** A ratio with the benchmark it came from and whether its goal is met. */
export interface RatioRow extends BenchRatio {
  readonly benchmark: string;
  readonly met: boolean;
}

export function isMet(ratio: BenchRatio): boolean {
  if (!Number.isFinite(ratio.ratio)) return false;
  return "atLeast" in ratio.goal ? ratio.ratio >= ratio.goal.atLeast : ratio.ratio <= ratio.goal.atMost;
}

export function goalText(goal: BenchRatio["goal"]): string {
  return "atLeast" in goal ? `≥ ${goal.atLeast}` : `≤ ${goal.atMost}`;
}

export function toRows(benchmark: string, ratios: readonly BenchRatio[]): RatioRow[] {
  return ratios.map((r) => ({ ...r, benchmark, met: isMet(r) }));
}

/** A plain-text table (also valid Markdown) with one line per ratio. */
export function formatRatioTable(rows: readonly RatioRow[]): string[] {
  const header = ["benchmark", "measure", "ratio", "goal", "result", "detail"];
  const cells = rows.map((r) => [
    r.benchmark,
    r.measure,
    Number.isFinite(r.ratio) ? r.ratio.toFixed(2) : "n/a",
    goalText(r.goal),
    r.met ? "MET" : "MISSED",
    r.detail,
  ]);
  // The detail column is left unpadded: it is the long one, and the last.
  const widths = header.map((h, i) =>
    i === header.length - 1 ? 0 : Math.max(h.length, ...cells.map((c) => (c[i] as string).length)),
  );
  const line = (values: readonly string[]) =>
    `| ${values.map((v, i) => v.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(Math.max(3, w)))), ...cells.map(line)];
}
