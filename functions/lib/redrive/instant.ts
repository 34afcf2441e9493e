import { RedriveInputError } from "./errors";

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const RELATIVE = /^(\d{1,6})([smhdw])$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
// Date.parse accepts "2026-11-31" and many locale formats; only ISO 8601 with a zone is unambiguous.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Reads a point in time the way operators type it: an ISO date (UTC midnight), an ISO date-time
 * with a zone, `now`, or a duration ago (`30m`, `24h`, `7d`, `2w`).
 *
 * @example
 * parseInstant("24h", "since", new Date("2026-11-22T12:00:00Z")); // "2026-11-21T12:00:00.000Z"
 */
export function parseInstant(text: string, name: string, now: Date): string {
  const input = text.trim();
  if (input === "now") return now.toISOString();
  const relative = RELATIVE.exec(input);
  if (relative !== null) {
    const amount = Number(relative[1]);
    const unit = relative[2] as keyof typeof UNIT_MS;
    return new Date(now.getTime() - amount * UNIT_MS[unit]).toISOString();
  }
  if (DATE.test(input) || DATE_TIME.test(input)) {
    const ms = Date.parse(DATE.test(input) ? `${input}T00:00:00Z` : input);
    // A valid calendar date round-trips; 2026-02-30 does not.
    if (Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === isoDay(input, ms)) {
      return new Date(ms).toISOString();
    }
  }
  throw new RedriveInputError(
    `${name} "${text}" is not a time: use an ISO date (2026-11-20), an ISO date-time with a zone ` +
      "(2026-11-20T10:00:00Z) or a duration ago (30m, 24h, 7d)",
  );
}

/** The calendar day the input names, in UTC, to compare with what Date made of it. */
function isoDay(input: string, ms: number): string {
  if (DATE.test(input)) return input;
  // With an offset the UTC day may differ from the typed one; only the date part's validity matters.
  const typed = input.slice(0, 10);
  const shifted = new Date(ms + offsetMs(input)).toISOString().slice(0, 10);
  return shifted === typed ? new Date(ms).toISOString().slice(0, 10) : "invalid";
}

function offsetMs(input: string): number {
  const zone = /([+-])(\d{2}):(\d{2})$/.exec(input);
  if (zone === null) return 0;
  const sign = zone[1] === "-" ? -1 : 1;
  return sign * (Number(zone[2]) * 60 + Number(zone[3])) * 60_000;
}
