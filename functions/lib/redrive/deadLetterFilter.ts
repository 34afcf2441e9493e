import type { DeadLetterStatus } from "../adapters/DynamoDeadLetterIndex";
import { FAILURE_STAGES } from "../core/errors";
import { STATUS_NAMES } from "./constants";
import { ID_FORMS, isDeadLetterId, sameRecord } from "./deadLetterIds";
import { RedriveInputError } from "./errors";
import { parseInstant } from "./instant";
import type { DeadLetterFilter } from "./types";

/** The filters as a Lambda event or a command line gives them: anything, validated here once. */
export interface DeadLetterFilterInput {
  readonly ids?: unknown;
  readonly topic?: unknown;
  readonly since?: unknown;
  readonly until?: unknown;
  readonly stage?: unknown;
  readonly errorClass?: unknown;
  readonly status?: unknown;
}

export interface FilterParseOptions {
  readonly now: Date;
  /** Statuses when none is given: `list` shows all, `redrive` and `discard` act on `new` only. */
  readonly defaultStatuses: readonly DeadLetterStatus[];
  /** Spells field names as the caller knows them (`--error-class` on the command line). */
  readonly nameOf?: (field: string) => string;
}

/** Kafka's own rule for topic names. */
export const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

const STAGES: readonly string[] = Object.values(FAILURE_STAGES);

/**
 * Validates filters into a {@link DeadLetterFilter}; every problem is a {@link RedriveInputError}
 * naming the field, so the CLI and the Lambda reject bad input the same way.
 *
 * @example
 * parseDeadLetterFilter({ topic: "employees", since: "24h" }, { now: new Date(), defaultStatuses: ["new"] });
 */
export function parseDeadLetterFilter(
  input: DeadLetterFilterInput,
  options: FilterParseOptions,
): DeadLetterFilter {
  const nameOf = options.nameOf ?? ((field: string) => field);
  const ids = stringList(input.ids, nameOf("ids"));
  for (const id of ids) {
    if (!isDeadLetterId(id)) throw new RedriveInputError(`"${id}" is not a dead-letter id: ${ID_FORMS}`);
  }
  const topic = optionalString(input.topic, nameOf("topic"));
  if (topic !== undefined) checkTopicName(topic, nameOf("topic"));
  const since = timeOf(input.since, nameOf("since"), options.now);
  const until = timeOf(input.until, nameOf("until"), options.now);
  if (since !== undefined && until !== undefined && since >= until) {
    throw new RedriveInputError(`${nameOf("since")} (${since}) must be before ${nameOf("until")} (${until})`);
  }
  const stage = optionalString(input.stage, nameOf("stage"));
  if (stage !== undefined && !STAGES.includes(stage)) {
    throw new RedriveInputError(
      `${nameOf("stage")} "${stage}" is not a stage: use one of ${STAGES.join(", ")}`,
    );
  }
  return {
    ids,
    topic,
    since,
    until,
    stage,
    errorClass: optionalString(input.errorClass, nameOf("errorClass")),
    statuses: statusesOf(input.status, nameOf("status"), options.defaultStatuses),
  };
}

/** True when nothing narrows the selection: commands that change state ask for `--all` then. */
export function selectsEverything(filter: DeadLetterFilter): boolean {
  return (
    filter.ids.length === 0 &&
    filter.topic === undefined &&
    filter.since === undefined &&
    filter.until === undefined &&
    filter.stage === undefined &&
    filter.errorClass === undefined
  );
}

/** The filter applied to one dead letter in memory (explicit ids, on-failure records). */
export function matchesFilter(
  letter: {
    readonly id: string;
    readonly topic: string;
    readonly failedAt: string;
    readonly stage: string;
    readonly errorClass: string;
    readonly status: DeadLetterStatus;
  },
  filter: DeadLetterFilter,
): boolean {
  return (
    (filter.ids.length === 0 || filter.ids.some((given) => sameRecord(given, letter.id))) &&
    (filter.topic === undefined || letter.topic === filter.topic) &&
    (filter.since === undefined || letter.failedAt >= filter.since) &&
    (filter.until === undefined || letter.failedAt < filter.until) &&
    (filter.stage === undefined || letter.stage === filter.stage) &&
    (filter.errorClass === undefined || letter.errorClass === filter.errorClass) &&
    filter.statuses.includes(letter.status)
  );
}

export function checkTopicName(topic: string, name: string): void {
  if (!TOPIC_NAME.test(topic)) {
    throw new RedriveInputError(`${name} "${topic}" is not a Kafka topic name (letters, digits, . _ -)`);
  }
}

function timeOf(value: unknown, name: string, now: Date): string | undefined {
  const text = optionalString(value, name);
  return text === undefined ? undefined : parseInstant(text, name, now);
}

function statusesOf(
  value: unknown,
  name: string,
  fallback: readonly DeadLetterStatus[],
): readonly DeadLetterStatus[] {
  const given = stringList(value, name).flatMap((s) => s.split(","));
  if (given.length === 0) return fallback;
  if (given.includes("all")) return STATUS_NAMES;
  for (const status of given) {
    if (!(STATUS_NAMES as readonly string[]).includes(status)) {
      throw new RedriveInputError(
        `${name} "${status}" is not a status: use ${[...STATUS_NAMES, "all"].join(", ")}`,
      );
    }
  }
  return [...new Set(given as DeadLetterStatus[])];
}

export function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new RedriveInputError(`${name} must be a string`);
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

function stringList(value: unknown, name: string): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list
    .map((item) => {
      if (typeof item !== "string")
        throw new RedriveInputError(`${name} must be a string or a list of strings`);
      return item.trim();
    })
    .filter((item) => item !== "");
}
