import type { EmulatorLogger } from "./types";

/**
 * Log lines on stderr, `[emulator] message key=value ...`, so stdout stays free for summaries and
 * the handler's own (JSON) logs.
 */
export const consoleLogger: EmulatorLogger = {
  info: (message, attributes) => console.error(formatLogLine("info", message, attributes)),
  warn: (message, attributes) => console.error(formatLogLine("warn", message, attributes)),
  error: (message, attributes) => console.error(formatLogLine("error", message, attributes)),
};

export function formatLogLine(
  level: string,
  message: string,
  attributes: Record<string, unknown> = {},
): string {
  const fields = Object.entries(attributes)
    .filter(([, value]) => value !== undefined)
    .map(
      ([key, value]) =>
        `${key}=${typeof value === "string" && /\s/.test(value) ? JSON.stringify(value) : String(value)}`,
    );
  return [`[emulator] ${level === "info" ? "" : `${level}: `}${message}`, ...fields].join(" ");
}

/** For tests and benchmarks that want quiet. */
export const silentEmulatorLogger: EmulatorLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
