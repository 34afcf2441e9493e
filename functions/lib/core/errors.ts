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
  override readonly name: string = "PipelineError";
  readonly retriable: boolean;

  constructor(message: string, options: PipelineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retriable = options.retriable ?? false;
  }
}

/** A configuration value is missing or malformed; names the environment variable. */
export class ConfigError extends PipelineError {
  override readonly name: string = "ConfigError";
  readonly variable: string;

  constructor(variable: string, problem: string) {
    super(`${variable} ${problem}`);
    this.variable = variable;
  }
}

/** The invocation event itself is not a Kafka event: no record in it can be identified. */
export class MalformedEventError extends PipelineError {
  override readonly name: string = "MalformedEventError";
}

/** A permanent failure of one record, tagged with the stage that rejected it. */
export class RecordError extends PipelineError {
  override readonly name: string = "RecordError";
  readonly stage: FailureStage;

  constructor(stage: FailureStage, message: string, options: PipelineErrorOptions = {}) {
    // A record error is an outcome for one record's data, not a bug: where it was built tells an
    // operator nothing (the stage, message and cause do), and capturing the stack cost 10-40 µs
    // per dead letter, most of a storm's CPU per letter outside the sinks. A cause keeps its own.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message, { ...options, retriable: false });
    Error.stackTraceLimit = limit;
    this.stage = stage;
  }
}

/** No pipeline is declared for the record's topic. */
export class UnroutableRecordError extends RecordError {
  override readonly name: string = "UnroutableRecordError";
  constructor(topic: string) {
    super(FAILURE_STAGES.route, `no pipeline is declared for topic "${topic}"`);
  }
}

/** Bytes that are not valid base64, UTF-8 or JSON. */
export class DecodeError extends RecordError {
  override readonly name: string = "DecodeError";
  constructor(message: string, options: PipelineErrorOptions = {}) {
    super(FAILURE_STAGES.decode, message, options);
  }
}

/** Where a schema-registry record's schema came from: its id in the registry and the data format. */
export interface SchemaReference {
  /** `AVRO`, `PROTOBUF`, `JSON` (JSON Schema), or `unknown` when the bytes named no schema. */
  readonly format: string;
  /** The Confluent schema id, or the Glue schema version UUID; undefined when the bytes named none. */
  readonly schemaId: string | undefined;
}

/**
 * Bytes of a schema-registry format (Avro, Protobuf, JSON Schema) that do not decode with the schema
 * they name, or name none: a `decode` dead letter that says which schema and format it was.
 */
export class SchemaDecodeError extends DecodeError {
  override readonly name: string = "SchemaDecodeError";
  readonly schema: SchemaReference;

  constructor(schema: SchemaReference, problem: string, options: PipelineErrorOptions = {}) {
    super(`${describeSchema(schema)}: ${problem}`, options);
    this.schema = schema;
  }
}

/** The registry answered that the schema id a record names does not exist (HTTP 404, Glue EntityNotFound). */
export class SchemaNotFoundError extends SchemaDecodeError {
  override readonly name: string = "SchemaNotFoundError";

  constructor(schema: SchemaReference, options: PipelineErrorOptions = {}) {
    super(schema, "the registry has no such schema", options);
  }
}

function describeSchema(schema: SchemaReference): string {
  return schema.schemaId === undefined
    ? `${schema.format} record`
    : `${schema.format} schema ${schema.schemaId}`;
}

/** One problem reported by a Standard Schema validator. */
export interface SchemaIssue {
  readonly path: string;
  readonly message: string;
}

/** The decoded value does not satisfy the pipeline's schema. */
export class SchemaViolationError extends RecordError {
  override readonly name: string = "SchemaViolationError";
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
  override readonly name: string = "TransformError";
  constructor(cause: unknown) {
    super(FAILURE_STAGES.transform, describeCause(cause), { cause });
  }
}

/** The transformed record is larger than the target topic accepts. */
export class RecordTooLargeError extends RecordError {
  override readonly name: string = "RecordTooLargeError";
  constructor(bytes: number, limit: number) {
    super(FAILURE_STAGES.produce, `transformed record is ${bytes} bytes, over the ${limit}-byte limit`);
  }
}

/** The broker rejected a record for good (for example MESSAGE_TOO_LARGE, INVALID_RECORD). */
export class ProduceRejectedError extends RecordError {
  override readonly name: string = "ProduceRejectedError";
  constructor(message: string, options: PipelineErrorOptions = {}) {
    super(FAILURE_STAGES.produce, message, options);
  }
}

/** A record that failed transiently more often than allowed is dead-lettered with this. */
export class RetriesExhaustedError extends RecordError {
  override readonly name: string = "RetriesExhaustedError";
  constructor(attempts: number, lastError: string) {
    super(FAILURE_STAGES.retriesExhausted, `failed transiently ${attempts} times; last: ${lastError}`);
  }
}

/**
 * Thrown by a pipeline's transform (or schema) to say "try again later": a lookup whose dependency
 * is briefly down, say. The record is reported for retry, not dead-lettered; the attempt ledger
 * counts it, so one that never succeeds still ends as a `retries-exhausted` dead letter.
 *
 * @example
 * transform: async (order) => {
 *   const price = await prices.lookup(order.sku).catch((e) => { throw new RetryLaterError("prices down", { cause: e }) });
 *   return { ...order, price };
 * }
 */
export class RetryLaterError extends PipelineError {
  override readonly name: string = "RetryLaterError";

  constructor(message: string, options: Omit<PipelineErrorOptions, "retriable"> = {}) {
    super(message, { ...options, retriable: true });
  }
}

/** A dependency (broker, S3, DynamoDB) is unavailable, slow or throttling; worth retrying. */
export class TransientError extends PipelineError {
  override readonly name: string = "TransientError";

  constructor(message: string, options: Omit<PipelineErrorOptions, "retriable"> = {}) {
    super(message, { ...options, retriable: true });
  }
}

/**
 * The schema registry could not be asked: unreachable, timed out, throttling (429) or failing (5xx).
 * The record is not at fault, so it is reported for retry, never dead-lettered.
 */
export class SchemaRegistryUnavailableError extends TransientError {
  override readonly name: string = "SchemaRegistryUnavailableError";
  /** The HTTP status the registry answered with; undefined when it could not be reached. */
  readonly status: number | undefined;

  constructor(message: string, options: { readonly status?: number; readonly cause?: unknown } = {}) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.status = options.status;
  }
}

/**
 * The invocation's time ran out before an operation could start or finish. Not the record's own
 * failure: the attempt ledger does not count it (earlier records may have used the time).
 */
export class DeadlineReachedError extends TransientError {
  override readonly name: string = "DeadlineReachedError";

  constructor(waitedMs?: number) {
    super(
      waitedMs === undefined
        ? "no time left in the invocation for another attempt"
        : `attempt still running after ${waitedMs} ms, at the invocation deadline`,
    );
  }
}

export type DeadLetterSinkName = "topic" | "archive" | "index";

/** Writing a dead letter (DLQ topic, S3 archive or index) failed; the record must not be acknowledged. */
export class DeadLetterWriteError extends PipelineError {
  override readonly name: string = "DeadLetterWriteError";
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
  override readonly name: string = "BatchRetryError";
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
