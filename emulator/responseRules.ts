/**
 * How a Kafka event source mapping reads what the function returned
 * (../shared/KAFKA-LAMBDA-FACTS.md section 2). Pure: given the invoked batch and the outcome,
 * decide success, partial success (resume each reported partition at its offset) or failure.
 */
import { describeCause } from "../functions/lib/core/errors";
import type { ItemIdentifierKey } from "./constants";
import { partitionId } from "./eventBuilder";
import type { InvocationOutcome } from "./types";

export interface RecordCoordinates {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export const VERDICT_KINDS = {
  success: "success",
  partial: "partial",
  failure: "failure",
} as const;

export const FAILURE_KINDS = {
  functionError: "function-error",
  timeout: "timeout",
  runtimeExit: "runtime-exit",
  invalidResponse: "invalid-response",
} as const;
export type FailureKind = (typeof FAILURE_KINDS)[keyof typeof FAILURE_KINDS];

export type ResponseVerdict =
  | { readonly kind: typeof VERDICT_KINDS.success }
  | {
      readonly kind: typeof VERDICT_KINDS.partial;
      /** Per `<topic>-<partition>`: the offset delivery resumes at (the lowest reported). */
      readonly resumeAt: ReadonlyMap<string, number>;
    }
  | {
      readonly kind: typeof VERDICT_KINDS.failure;
      readonly failure: FailureKind;
      readonly reason: string;
      /** `responseContext.functionError` of an on-failure document: set when the function errored. */
      readonly functionError: string | undefined;
    };

export interface ResponseRuleOptions {
  /** `FunctionResponseTypes: ["ReportBatchItemFailures"]`; when off, any returned value is success. */
  readonly reportBatchItemFailures: boolean;
  /** The one `itemIdentifier` key the mapping reads. */
  readonly itemIdentifierKey: ItemIdentifierKey;
}

/**
 * Applies Lambda's rules to one invocation's outcome.
 *
 * - Thrown error, timeout or a runtime that exited mid-invocation: the whole batch failed.
 * - Returned `null`/`undefined`, no `batchItemFailures`, or an empty/null list: success.
 * - Each failure must be `{itemIdentifier: {<key>: "<topic>-<partition>", offset: <int>}}` naming a
 *   record of the invoked batch; anything else (string identifier, other key, offset not in the
 *   batch) fails the whole batch.
 * - Several failures in one partition: the lowest offset wins.
 *
 * @example
 * judgeInvocation(records, { kind: "returned", value: { batchItemFailures: [] } }, options);
 * // { kind: "success" }
 */
export function judgeInvocation(
  records: readonly RecordCoordinates[],
  outcome: InvocationOutcome,
  options: ResponseRuleOptions,
): ResponseVerdict {
  if (outcome.kind === "threw") {
    return failure(
      FAILURE_KINDS.functionError,
      `function error: ${describeCause(outcome.error)}`,
      "Unhandled",
    );
  }
  if (outcome.kind === "timed-out") {
    return failure(
      FAILURE_KINDS.timeout,
      `Task timed out after ${(outcome.timeoutMs / 1000).toFixed(2)} seconds`,
      "Unhandled",
    );
  }
  if (outcome.kind === "runtime-exited") {
    return failure(FAILURE_KINDS.runtimeExit, `${outcome.errorType}: ${outcome.message}`, "Unhandled");
  }
  if (!options.reportBatchItemFailures) return { kind: VERDICT_KINDS.success };
  return judgeResponse(records, outcome.value, options.itemIdentifierKey);
}

function judgeResponse(
  records: readonly RecordCoordinates[],
  response: unknown,
  key: ItemIdentifierKey,
): ResponseVerdict {
  if (typeof response !== "object" || response === null || !("batchItemFailures" in response)) {
    return { kind: VERDICT_KINDS.success };
  }
  const failures = (response as { batchItemFailures: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return { kind: VERDICT_KINDS.success };
  if (!Array.isArray(failures)) {
    return invalid(`batchItemFailures must be a list, got ${typeName(failures)}`);
  }
  if (failures.length === 0) return { kind: VERDICT_KINDS.success };

  const offsetsByPartition = new Map<string, Set<number>>();
  for (const record of records) {
    const id = partitionId(record);
    let offsets = offsetsByPartition.get(id);
    if (offsets === undefined) {
      offsets = new Set();
      offsetsByPartition.set(id, offsets);
    }
    offsets.add(record.offset);
  }

  const resumeAt = new Map<string, number>();
  for (const [index, item] of failures.entries()) {
    const problem = identifierProblem(item, key, offsetsByPartition);
    if (typeof problem === "string") return invalid(`batchItemFailures[${index}]: ${problem}`);
    const current = resumeAt.get(problem.id);
    if (current === undefined || problem.offset < current) resumeAt.set(problem.id, problem.offset);
  }
  return { kind: VERDICT_KINDS.partial, resumeAt };
}

/** A valid identifier's partition and offset, or what is wrong with it. */
function identifierProblem(
  item: unknown,
  key: ItemIdentifierKey,
  offsetsByPartition: ReadonlyMap<string, ReadonlySet<number>>,
): { id: string; offset: number } | string {
  if (typeof item !== "object" || item === null || !("itemIdentifier" in item)) {
    return "has no itemIdentifier";
  }
  const identifier = (item as { itemIdentifier: unknown }).itemIdentifier;
  if (typeof identifier !== "object" || identifier === null || Array.isArray(identifier)) {
    return `itemIdentifier must be an object {"${key}": "<topic>-<partition>", "offset": <int>}, got ${typeName(identifier)}`;
  }
  const fields = identifier as Record<string, unknown>;
  if (!(key in fields)) {
    const other = Object.keys(fields).find((k) => k !== "offset");
    return other === undefined
      ? `itemIdentifier has no "${key}" key`
      : `itemIdentifier uses key "${other}" but this mapping reads "${key}" (see the item identifier key option)`;
  }
  const id = fields[key];
  const offset = fields.offset;
  if (typeof id !== "string") return `"${key}" must be a "<topic>-<partition>" string, got ${typeName(id)}`;
  if (typeof offset !== "number" || !Number.isInteger(offset)) {
    return `"offset" must be an integer, got ${typeName(offset)}`;
  }
  const offsets = offsetsByPartition.get(id);
  if (offsets === undefined) return `"${id}" is not a topic-partition of the invoked batch`;
  if (!offsets.has(offset)) return `offset ${offset} of "${id}" was not in the invoked batch`;
  return { id, offset };
}

function invalid(reason: string): ResponseVerdict {
  return failure(FAILURE_KINDS.invalidResponse, `invalid partial batch response: ${reason}`, undefined);
}

function failure(kind: FailureKind, reason: string, functionError: string | undefined): ResponseVerdict {
  return { kind: VERDICT_KINDS.failure, failure: kind, reason, functionError };
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return `the string ${JSON.stringify(value.slice(0, 60))}`;
  return typeof value;
}

export interface BatchPlan<T extends RecordCoordinates> {
  /** Per topic-partition of the batch: the next offset to commit (everything before it is done). */
  readonly commits: readonly (RecordCoordinates & { readonly id: string })[];
  /** Records to deliver again, in offset order within each partition. */
  readonly redeliver: readonly T[];
}

/**
 * What a successful or partial verdict means for the batch's offsets: commit up to the reported
 * offset (or past the batch), redeliver everything at or after it in reported partitions.
 */
export function planCommits<T extends RecordCoordinates>(
  records: readonly T[],
  verdict: Exclude<ResponseVerdict, { kind: typeof VERDICT_KINDS.failure }>,
): BatchPlan<T> {
  const resumeAt = verdict.kind === VERDICT_KINDS.partial ? verdict.resumeAt : new Map<string, number>();
  const next = new Map<string, RecordCoordinates & { id: string }>();
  const redeliver: T[] = [];
  for (const record of records) {
    const id = partitionId(record);
    const resume = resumeAt.get(id);
    if (resume !== undefined && record.offset >= resume) {
      redeliver.push(record);
      continue;
    }
    const current = next.get(id);
    if (current === undefined || record.offset + 1 > current.offset) {
      next.set(id, { id, topic: record.topic, partition: record.partition, offset: record.offset + 1 });
    }
  }
  for (const [id, resume] of resumeAt) {
    const sample = records.find((r) => partitionId(r) === id);
    if (sample !== undefined)
      next.set(id, { id, topic: sample.topic, partition: sample.partition, offset: resume });
  }
  redeliver.sort(
    (a, b) =>
      (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1) || a.offset - b.offset,
  );
  return { commits: [...next.values()], redeliver };
}
