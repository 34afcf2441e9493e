import {
  DEFAULT_MAX_REDRIVES,
  DEFAULT_REDRIVE_BATCH_SIZE,
  DEFAULT_REDRIVE_RATE,
  REPLAY_SOURCES,
} from "./constants";
import {
  checkTopicName,
  type DeadLetterFilterInput,
  optionalString,
  parseDeadLetterFilter,
} from "./deadLetterFilter";
import { RedriveInputError } from "./errors";
import type { RedriveRequest, ReplaySourceSpec } from "./types";

/**
 * A redrive as a Lambda event or a command line asks for it. Every field is optional; the filters
 * select dead letters exactly as `dlq list` does.
 *
 * @example
 * { "topic": "employees", "since": "24h", "stage": "validate", "maxRedrives": 3, "rate": 50, "dryRun": true }
 */
export interface RedriveInput extends DeadLetterFilterInput {
  readonly toTopic?: unknown;
  readonly maxRedrives?: unknown;
  /** Most records to replay. */
  readonly max?: unknown;
  /** Records per second. */
  readonly rate?: unknown;
  readonly batchSize?: unknown;
  readonly dryRun?: unknown;
  /** `s3://bucket/prefix` of an S3 on-failure destination: replay its documents instead of the index. */
  readonly onFailure?: unknown;
  /** Resume this run from its checkpoint; the other fields are then ignored. */
  readonly resume?: unknown;
  /** Name the new run (default: generated). */
  readonly runId?: unknown;
}

export interface RedriveDefaults {
  readonly maxRedrives: number;
  readonly ratePerSecond: number;
  readonly batchSize: number;
}

export const REDRIVE_DEFAULTS: RedriveDefaults = {
  maxRedrives: DEFAULT_MAX_REDRIVES,
  ratePerSecond: DEFAULT_REDRIVE_RATE,
  batchSize: DEFAULT_REDRIVE_BATCH_SIZE,
};

export type RedriveInvocation =
  | { readonly kind: "start"; readonly request: RedriveRequest; readonly runId: string | undefined }
  | { readonly kind: "resume"; readonly runId: string };

const RUN_ID = /^[A-Za-z0-9._-]{1,100}$/;

/** Validates a redrive input; every problem is a {@link RedriveInputError} naming the field. */
export function parseRedriveInput(
  input: RedriveInput,
  options: {
    readonly now: Date;
    readonly defaults?: RedriveDefaults;
    readonly nameOf?: (field: string) => string;
  },
): RedriveInvocation {
  const nameOf = options.nameOf ?? ((field: string) => field);
  const defaults = options.defaults ?? REDRIVE_DEFAULTS;
  const resume = optionalString(input.resume, nameOf("resume"));
  if (resume !== undefined) return { kind: "resume", runId: runIdOf(resume, nameOf("resume")) };
  const runId = optionalString(input.runId, nameOf("runId"));
  const filter = parseDeadLetterFilter(input, { now: options.now, defaultStatuses: ["new"], nameOf });
  const toTopic = optionalString(input.toTopic, nameOf("toTopic"));
  if (toTopic !== undefined) checkTopicName(toTopic, nameOf("toTopic"));
  return {
    kind: "start",
    runId: runId === undefined ? undefined : runIdOf(runId, nameOf("runId")),
    request: {
      source: sourceOf(input.onFailure, nameOf("onFailure")),
      filter,
      toTopic,
      maxRedrives: integer(input.maxRedrives, nameOf("maxRedrives"), defaults.maxRedrives, 1, 1_000),
      maxCount: optionalInteger(input.max, nameOf("max"), 1, Number.MAX_SAFE_INTEGER),
      ratePerSecond: integer(input.rate, nameOf("rate"), defaults.ratePerSecond, 1, 100_000),
      batchSize: integer(input.batchSize, nameOf("batchSize"), defaults.batchSize, 1, 500),
      dryRun: boolean(input.dryRun, nameOf("dryRun")),
    },
  };
}

/** `s3://bucket/some/prefix/` into its parts. */
export function parseS3Url(text: string, name: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(text.trim());
  if (match === null) {
    throw new RedriveInputError(`${name} "${text}" is not an S3 location such as s3://my-bucket/on-failure/`);
  }
  return { bucket: match[1] as string, prefix: match[2] ?? "" };
}

function sourceOf(value: unknown, name: string): ReplaySourceSpec {
  const text = optionalString(value, name);
  if (text === undefined) return { kind: REPLAY_SOURCES.index };
  return { kind: REPLAY_SOURCES.onFailure, ...parseS3Url(text, name) };
}

function runIdOf(text: string, name: string): string {
  if (!RUN_ID.test(text))
    throw new RedriveInputError(`${name} "${text}" is not a run id (letters, digits, . _ -)`);
  return text;
}

function integer(value: unknown, name: string, fallback: number, min: number, max: number): number {
  return optionalInteger(value, name, min, max) ?? fallback;
}

function optionalInteger(value: unknown, name: string, min: number, max: number): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const number =
    typeof value === "number"
      ? value
      : typeof value === "string" && /^\d+$/.test(value.trim())
        ? Number(value)
        : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new RedriveInputError(
      `${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return number;
}

function boolean(value: unknown, name: string): boolean {
  if (value === undefined || value === null || value === false || value === "false") return false;
  if (value === true || value === "true") return true;
  throw new RedriveInputError(`${name} must be true or false, got ${JSON.stringify(value)}`);
}
