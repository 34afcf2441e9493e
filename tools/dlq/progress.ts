import type { RedriveCounts } from "../../functions/lib/redrive/types";
import type { CliIo } from "./io";

const BAR_WIDTH = 24;

/**
 * Progress of a long command: a bar redrawn in place on a terminal, a line every few seconds
 * otherwise (CI logs, pipes), so the output stays readable either way.
 */
export class ProgressReporter {
  private lastLineAt = 0;
  private drawn = false;

  constructor(
    private readonly io: CliIo,
    private readonly label: string,
    private readonly intervalMs = 5_000,
  ) {}

  update(counts: RedriveCounts, total: number | undefined): void {
    const text = describe(this.label, counts, total);
    if (this.io.tty) {
      this.io.redraw(total === undefined ? text : `${bar(counts.selected, total)} ${text}`);
      this.drawn = true;
      return;
    }
    const now = this.io.now().getTime();
    if (now - this.lastLineAt >= this.intervalMs) {
      this.lastLineAt = now;
      this.io.err(text);
    }
  }

  /** Ends the bar's line so later output starts on a fresh one. */
  finish(): void {
    if (this.drawn) this.io.redraw("");
    this.drawn = false;
  }

  /** Prints a line above the bar without mangling it. */
  line(text: string): void {
    if (this.drawn) this.io.redraw("");
    this.io.err(text);
  }
}

export function bar(done: number, total: number): string {
  const ratio = total <= 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(ratio * BAR_WIDTH);
  return `[${"█".repeat(filled)}${"░".repeat(BAR_WIDTH - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}%`;
}

function describe(label: string, c: RedriveCounts, total: number | undefined): string {
  const of = total === undefined ? `${c.selected}` : `${c.selected}/${total}`;
  return `${label} ${of}: replayed ${c.replayed}, refused ${c.refused}, skipped ${c.skipped}, failed ${c.failed}`;
}
