/**
 * The one error model of the pipeline.
 *
 * Whether a failure is worth retrying lives on the error (`retriable`), as in kafkajs, so the
 * classification is decided once, where the failure is understood, and every caller just reads it.
 * Permanent failures of a record are dead-lettered; retriable ones are retried in the invocation and
 * then reported for redelivery; bugs are never retried in a loop.
 */

/** Where in the pipeline a record failed; stored on every dead letter. */
export const FAILURE_STAGES = {
  route: "route",
  decode: "decode",
  validate: "validate",
  transform: "transform",
  produce: "produce",
  retriesExhausted: "retries-exhausted",
} as const;
export type FailureStage = (typeof FAILURE_STAGES)[keyof typeof FAILURE_STAGES];

export interface PipelineErrorOptions {
  readonly retriable?: boolean;
  readonly cause?: unknown;
}

/** Base class: every error the pipeline raises on purpose is one of these. */
export class PipelineError extends Error {
  readonly retriable: boolean;

  constructor(message: string, options: PipelineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
  }
}

/** A configuration value is missing or malformed; names the environment variable. */
export class ConfigError extends PipelineError {
  readonly variable: string;

  constructor(variable: string, problem: string) {
    super(`${variable} ${problem}`);
    this.variable = variable;
  }
}

/** The invocation event itself is not a Kafka event: no record in it can be identified. */
export class MalformedEventError extends PipelineError {}

/** A permanent failure of one record, tagged with the stage that rejected it. */
export class RecordError extends PipelineError {
  readonly stage: FailureStage;

  constructor(stage: FailureStage, message: string, options: PipelineErrorOptions = {}) {
    super(message, { ...options, retriable: false });
    this.stage = stage;
  }
}

/** No pipeline is declared for the record's topic. */
export class UnroutableRecordError extends RecordError {
  constructor(topic: string) {
    super(FAILURE_STAGES.route, `no pipeline is declared for topic "${topic}"`);
  }
}

/** Bytes that are not valid base64, UTF-8 or JSON. */
export class DecodeError extends RecordError {
  constructor(message: string, options: PipelineErrorOptions = {}) {
    super(FAILURE_STAGES.decode, message, options);
  }
}

/** One problem reported by a Standard Schema validator. */
export interface SchemaIssue {
  readonly path: string;
  readonly message: string;
}

/** The decoded value does not satisfy the pipeline's schema. */
export class SchemaViolationError extends RecordError {
  readonly issues: readonly SchemaIssue[];

  constructor(issues: readonly SchemaIssue[]) {
    super(
      FAILURE_STAGES.validate,
      issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; "),
    );
    this.issues = issues;
  }
}

/** The user's transform threw; its error is kept as the cause. */
export class TransformError extends RecordError {
  constructor(cause: unknown) {
    super(FAILURE_STAGES.transform, describeCause(cause), { cause });
  }
}

/** The transformed record is larger than the target topic accepts. */
export class RecordTooLargeError extends RecordError {
  constructor(bytes: number, limit: number) {
    super(FAILURE_STAGES.produce, `transformed record is ${bytes} bytes, over the ${limit}-byte limit`);
  }
}

/** The broker rejected a record for good (for example MESSAGE_TOO_LARGE, INVALID_RECORD). */
export class ProduceRejectedError extends RecordError {
  constructor(message: string, options: PipelineErrorOptions = {}) {
    super(FAILURE_STAGES.produce, message, options);
  }
}

/** A record that failed transiently more often than allowed is dead-lettered with this. */
export class RetriesExhaustedError extends RecordError {
  constructor(attempts: number, lastError: string) {
    super(FAILURE_STAGES.retriesExhausted, `failed transiently ${attempts} times; last: ${lastError}`);
  }
}

/** A dependency (broker, S3, DynamoDB) is unavailable, slow or throttling; worth retrying. */
export class TransientError extends PipelineError {
  constructor(message: string, options: Omit<PipelineErrorOptions, "retriable"> = {}) {
    super(message, { ...options, retriable: true });
  }
}

export type DeadLetterSinkName = "topic" | "archive" | "index";

/** Writing a dead letter (DLQ topic, S3 archive or index) failed; the record must not be acknowledged. */
export class DeadLetterWriteError extends PipelineError {
  readonly sink: DeadLetterSinkName;

  constructor(sink: DeadLetterSinkName, cause: unknown) {
    super(`dead-letter ${sink} write failed: ${describeCause(cause)}`, { cause, retriable: true });
    this.sink = sink;
  }
}

/**
 * Thrown when no record of the batch could be completed, so that the mapping's own retry count,
 * bisect and on-failure destination apply instead of an endless partial response.
 */
export class BatchRetryError extends PipelineError {
  readonly recordCount: number;

  constructor(recordCount: number, cause?: unknown) {
    super(`all ${recordCount} records of the batch must be retried`, { cause, retriable: true });
    this.recordCount = recordCount;
  }
}

const PROGRAMMING_ERRORS = new Set(["TypeError", "RangeError", "ReferenceError", "SyntaxError"]);

/** Bugs: retrying them changes nothing, so they are never retried in a loop. */
export function isProgrammingError(error: unknown): boolean {
  return error instanceof Error && PROGRAMMING_ERRORS.has(error.name) && !(error instanceof PipelineError);
}

/** True when retrying can help: the error says so, or its cause chain ends in one that does. */
export function isRetriable(error: unknown): boolean {
  if (error instanceof PipelineError) return error.retriable;
  if (isProgrammingError(error)) return false;
  if (typeof error === "object" && error !== null && "retriable" in error) {
    return (error as { retriable: unknown }).retriable === true;
  }
  return false;
}

/** The class name of an error, for headers and envelopes (`Error` when unknown). */
export function errorClassName(error: unknown): string {
  if (error instanceof Error) return error.name || error.constructor.name;
  return typeof error;
}

/** A one-line description of anything thrown, without its stack. */
export function describeCause(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
