import type { EmulatorStats } from "./EventSourceMappingEmulator";
import type { EmulatorLogger } from "./types";

export interface ProgressDisplayOptions {
  readonly stream?: NodeJS.WriteStream;
  /** Records expected in total, for a "received n/total" figure. */
  readonly total?: number;
  /** Without a TTY, one line this often. @default 2000 */
  readonly intervalMs?: number;
  readonly label?: string;
}

/**
 * Progress of an emulator run: one line rewritten in place on a terminal, a line every few seconds
 * otherwise (CI logs have no terminal). Log lines printed through it never tear the status line.
 */
export class ProgressDisplay {
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private readonly intervalMs: number;
  private readonly started = Date.now();
  private last: EmulatorStats | undefined;
  private lastDrawn = 0;
  private shown = false;

  constructor(private readonly options: ProgressDisplayOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.tty = this.stream.isTTY === true;
    this.intervalMs = options.intervalMs ?? 2_000;
  }

  update(stats: EmulatorStats): void {
    this.last = stats;
    const now = Date.now();
    if (now - this.lastDrawn < (this.tty ? 100 : this.intervalMs)) return;
    this.lastDrawn = now;
    this.draw();
  }

  /** Prints a line above the status line. */
  log(line: string): void {
    this.clear();
    this.stream.write(`${line}\n`);
    if (this.tty && this.last !== undefined) this.draw();
  }

  /** A logger for the emulator that prints through this display. */
  logger(): EmulatorLogger {
    const print =
      (level: string) =>
      (message: string, attributes: Record<string, unknown> = {}) => {
        const fields = Object.entries(attributes).map(
          ([k, v]) => `${k}=${typeof v === "string" && /\s/.test(v) ? JSON.stringify(v) : String(v)}`,
        );
        this.log([`[emulator] ${level}${message}`, ...fields].join(" "));
      };
    return { info: print(""), warn: print("warn: "), error: print("error: ") };
  }

  finish(): void {
    if (this.last !== undefined) {
      this.clear();
      this.stream.write(`${this.line(this.last)}\n`);
    }
    this.shown = false;
  }

  private draw(): void {
    if (this.last === undefined) return;
    if (this.tty) {
      this.stream.write(`\r\x1b[2K${this.line(this.last)}`);
      this.shown = true;
    } else {
      this.stream.write(`${this.line(this.last)}\n`);
    }
  }

  private clear(): void {
    if (this.tty && this.shown) this.stream.write("\r\x1b[2K");
    this.shown = false;
  }

  private line(s: EmulatorStats): string {
    const seconds = ((Date.now() - this.started) / 1000).toFixed(1);
    const received = this.options.total === undefined ? `${s.polled}` : `${s.polled}/${this.options.total}`;
    return (
      `${this.options.label ?? "[progress]"} received ${received} | invocations ${s.invocations}` +
      ` (partial ${s.partialResponses}, failed ${s.functionErrors + s.timeouts + s.invalidResponses})` +
      ` | redelivered ${s.redeliveredRecords} | committed ${s.committedRecords} | outstanding ${s.outstanding}` +
      ` | on-failure ${s.onFailureRecords} | ${seconds} s`
    );
  }
}
