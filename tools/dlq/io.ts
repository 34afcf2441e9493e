/** What a command may touch of the outside world; tests pass their own. */
export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** A line of results, on stdout: safe to pipe. */
  out(line: string): void;
  /** A line of diagnostics (refusals, errors, periodic progress), on stderr. */
  err(line: string): void;
  /** Whether stderr is a terminal: then progress is a bar redrawn in place. */
  readonly tty: boolean;
  readonly columns: number;
  /** Redraws the progress bar (TTY only). */
  redraw(text: string): void;
  now(): Date;
  /** Calls the listener on Ctrl-C; returns a function that stops listening. */
  onInterrupt(listener: () => void): () => void;
}

/** The real process: stdout, stderr, SIGINT. */
export function processIo(): CliIo {
  return {
    env: process.env,
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    tty: process.stderr.isTTY === true,
    // Tables go to stdout: fit a terminal, but do not cut lines that go to a file or a pipe.
    columns: process.stdout.columns ?? 200,
    redraw: (text) => process.stderr.write(`\r\x1b[2K${text}`),
    now: () => new Date(),
    onInterrupt(listener) {
      process.on("SIGINT", listener);
      return () => process.off("SIGINT", listener);
    },
  };
}
