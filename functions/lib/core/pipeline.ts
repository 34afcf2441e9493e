import type { StandardSchemaV1 } from "@standard-schema/spec";
import {
  DecodeError,
  describeCause,
  errorClassName,
  isRetriable,
  PipelineError,
  RecordError,
  RetryLaterError,
  SchemaViolationError,
  TransformError,
  type TransientError,
} from "./errors";
import type { RecordHeader, SourceRecord } from "./types";

/** What a transform sees besides the validated value: where the record came from. */
export interface TransformContext {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly headers: readonly RecordHeader[];
}

/**
 * What an asynchronous `decode` or `encode` gets besides the record: a signal aborted when the
 * invocation's time is up, so a registry lookup is cancelled instead of outliving the invocation.
 */
export interface CodecContext {
  readonly signal: AbortSignal | undefined;
}

/** What `encode` gets: the record whose output it writes, and the deadline's signal. */
export interface EncodeContext extends CodecContext {
  readonly record: SourceRecord;
}

/** What to do with a record whose value is null (a tombstone). */
export const TOMBSTONE_POLICIES = {
  /** Write the tombstone to the target topic with the original key: deletes propagate downstream. */
  forward: "forward",
  /** Treat it as a permanent failure (stage `decode`). */
  deadLetter: "dead-letter",
} as const;
export type TombstonePolicy = (typeof TOMBSTONE_POLICIES)[keyof typeof TOMBSTONE_POLICIES];

/** What a pipeline's `classify` decides for an error its schema or transform threw. */
export const ERROR_DECISIONS = {
  /** Report the record for retry: Lambda delivers it again (the attempt ledger still bounds it). */
  retry: "retry",
  /** Dead-letter the record now, stage `transform` (or `validate` for a schema that threw). */
  deadLetter: "dead-letter",
} as const;
export type ErrorDecision = (typeof ERROR_DECISIONS)[keyof typeof ERROR_DECISIONS];

export interface PipelineDefinition<Schema extends StandardSchemaV1, Output> {
  /** The topic whose records this pipeline handles. */
  readonly sourceTopic: string;
  /** Where transformed records go. */
  readonly targetTopic: string;
  /** Where dead letters go. @default `<sourceTopic>.dlq` */
  readonly dlqTopic?: string;
  /** Any Standard Schema (zod, valibot, arktype, ...); its output is what `transform` receives. */
  readonly schema: Schema;
  readonly transform: (
    value: StandardSchemaV1.InferOutput<Schema>,
    context: TransformContext,
  ) => Output | Promise<Output>;
  /** Bytes to the value handed to the schema. @default strict UTF-8, then JSON.parse */
  readonly deserialize?: (bytes: Buffer) => unknown;
  /**
   * Record to the value handed to the schema, possibly asynchronously (a schema registry lookup):
   * replaces `deserialize`. A `DecodeError` dead-letters the record (stage `decode`); an error that
   * says `retriable: true` reports it for retry; anything else is a decode failure. Only called for
   * records whose value is not null. See `functions/lib/formats` for Avro, Protobuf and JSON Schema.
   */
  readonly decode?: (record: SourceRecord, context: CodecContext) => unknown | Promise<unknown>;
  /** Transform output to bytes. @default JSON.stringify as UTF-8 */
  readonly serialize?: (output: Output) => Buffer;
  /**
   * Transform output to bytes, possibly asynchronously (re-encoding in a registry format): replaces
   * `serialize`. A retriable error reports the record for retry; any other is a `transform` failure.
   */
  readonly encode?: (output: Output, context: EncodeContext) => Buffer | Promise<Buffer>;
  /** @default "forward" */
  readonly tombstones?: TombstonePolicy;
  /**
   * Decides whether an error thrown by the schema or the transform is worth retrying, like
   * Spring Kafka's fatal-exception list or a Karafka strategy.
   * @default retry for a `RetryLaterError` (or any error saying `retriable: true`), dead-letter otherwise
   */
  readonly classify?: (error: unknown, context: TransformContext) => ErrorDecision;
}

/**
 * The result of running one record through decode, validate and transform: no I/O of ours. A
 * `RecordError` is permanent (dead-lettered); a `RetryLaterError` asks for the record again later.
 */
export type PreparedRecord =
  | { readonly ok: true; readonly value: Buffer | null }
  | { readonly ok: false; readonly error: RecordError | RetryLaterError | TransientError };

/** A pipeline with its types erased, as the processor runs it. */
export interface Pipeline {
  readonly sourceTopic: string;
  readonly targetTopic: string;
  readonly dlqTopic: string;
  /**
   * Synchronous when the decoder, the schema and the transform are, so a batch of thousands
   * allocates no promises. `context.signal` is aborted at the invocation deadline.
   */
  prepare(record: SourceRecord, context?: CodecContext): PreparedRecord | Promise<PreparedRecord>;
}

/**
 * Declares how one source topic's records are decoded, validated, transformed and routed.
 *
 * @example
 * const employees = definePipeline({
 *   sourceTopic: "employees",
 *   targetTopic: "employees.processed",
 *   schema: z.object({ "Employee-Number": z.number().int(), age: z.number().int().positive() }),
 *   transform: (e) => ({ ...e, "Employee-Number": `EMP-${e["Employee-Number"]}` }),
 * });
 */
export function definePipeline<Schema extends StandardSchemaV1, Output>(
  definition: PipelineDefinition<Schema, Output>,
): Pipeline {
  const deserialize = definition.deserialize ?? parseUtf8Json;
  const serialize = definition.serialize ?? serializeJson;
  const { decode, encode } = definition;
  const tombstones = definition.tombstones ?? TOMBSTONE_POLICIES.forward;
  const validate = definition.schema["~standard"].validate;

  const classify = definition.classify ?? defaultClassify;
  const rejected = (error: unknown, record: SourceRecord, permanent: () => RecordError): PreparedRecord => {
    if (error instanceof RetryLaterError && definition.classify === undefined) return failed(error);
    if (classify(error, contextOf(record)) === ERROR_DECISIONS.retry) {
      return failed(
        error instanceof RetryLaterError
          ? error
          : new RetryLaterError(describeCause(error), { cause: error }),
      );
    }
    return failed(permanent());
  };
  const transformFailed = (error: unknown, record: SourceRecord) =>
    rejected(error, record, () => new TransformError(error));

  // Built once: without an `encode`, finishing a record needs nothing of the record.
  const serialized = (output: Output): PreparedRecord => ({ ok: true, value: serialize(output) });
  const encoded = (record: SourceRecord, signal: AbortSignal | undefined) => {
    if (encode === undefined) return serialized;
    return (output: Output): PreparedRecord | Promise<PreparedRecord> => {
      const bytes = encode(output, { record, signal });
      return isPromise(bytes)
        ? bytes.then((value): PreparedRecord => ({ ok: true, value }), encodeFailed)
        : { ok: true, value: bytes };
    };
  };
  const runTransform = (
    value: StandardSchemaV1.InferOutput<Schema>,
    record: SourceRecord,
    signal: AbortSignal | undefined,
  ) => {
    let output: Output | Promise<Output>;
    try {
      output = definition.transform(value, contextOf(record));
    } catch (error) {
      return transformFailed(error, record);
    }
    const finish = encoded(record, signal);
    return isPromise(output)
      ? output.then(
          (o) => serializeOrFail(finish, o),
          (error: unknown) => transformFailed(error, record),
        )
      : serializeOrFail(finish, output);
  };
  const afterValidation = (
    result: StandardSchemaV1.Result<unknown>,
    record: SourceRecord,
    signal: AbortSignal | undefined,
  ) =>
    result.issues === undefined
      ? runTransform(result.value as StandardSchemaV1.InferOutput<Schema>, record, signal)
      : failed(new SchemaViolationError(result.issues.map(toSchemaIssue)));
  // A validator that throws (a refinement calling a service, say) is the schema's failure: classified
  // like a transform's, never a crash of the whole batch.
  const validatorFailed = (error: unknown, record: SourceRecord) =>
    rejected(
      error,
      record,
      () => new SchemaViolationError([{ path: "", message: `the schema threw ${errorClassName(error)}` }]),
    );

  return {
    sourceTopic: definition.sourceTopic,
    targetTopic: definition.targetTopic,
    dlqTopic: definition.dlqTopic ?? defaultDlqTopic(definition.sourceTopic),
    prepare(record, context) {
      if (record.value === null) {
        return tombstones === TOMBSTONE_POLICIES.forward
          ? { ok: true, value: null }
          : failed(new DecodeError("value is null (tombstone) and this pipeline dead-letters tombstones"));
      }
      const signal = context?.signal;
      let decoded: unknown;
      try {
        decoded = decode === undefined ? deserialize(record.value) : decode(record, { signal });
      } catch (error) {
        return failed(decodeFailure(error));
      }
      const validated = (value: unknown) => {
        let result: StandardSchemaV1.Result<unknown> | Promise<StandardSchemaV1.Result<unknown>>;
        try {
          result = validate(value);
        } catch (error) {
          return validatorFailed(error, record);
        }
        return isPromise(result)
          ? result.then(
              (r) => afterValidation(r, record, signal),
              (error: unknown) => validatorFailed(error, record),
            )
          : afterValidation(result, record, signal);
      };
      return isPromise(decoded)
        ? decoded.then(validated, (error: unknown) => failed(decodeFailure(error)))
        : validated(decoded);
    },
  };
}

/** A decoder's failure: its own RecordError, a retry for a retriable one, a decode failure otherwise. */
function decodeFailure(error: unknown): RecordError | RetryLaterError | TransientError {
  // A decoder that also validates (JSON Schema) rejects with a SchemaViolationError of its own.
  if (error instanceof RecordError) return error;
  if (isRetriable(error)) return asRetry(error);
  return new DecodeError(`value could not be deserialized (${errorClassName(error)})`, { cause: error });
}

/** An encoder's failure: retried when it says so (the registry is down), a transform failure otherwise. */
function encodeFailed(error: unknown): PreparedRecord {
  return failed(isRetriable(error) ? asRetry(error) : new TransformError(error));
}

function asRetry(error: unknown): RetryLaterError | TransientError {
  if (error instanceof RetryLaterError) return error;
  if (error instanceof PipelineError && error.retriable) return error as TransientError;
  return new RetryLaterError(describeCause(error), { cause: error });
}

function defaultClassify(error: unknown): ErrorDecision {
  return isRetriable(error) ? ERROR_DECISIONS.retry : ERROR_DECISIONS.deadLetter;
}

export function defaultDlqTopic(sourceTopic: string): string {
  return `${sourceTopic}.dlq`;
}

/**
 * Checks and decodes in one pass (`isUtf8` and then `toString` read every byte twice). `ignoreBOM`
 * keeps a leading byte-order mark in the text, as `Buffer#toString` does, so JSON.parse still
 * refuses it.
 */
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Strict: a value that is not valid UTF-8 is a decode failure, never a string with U+FFFD in it. */
export function parseUtf8Json(bytes: Buffer): unknown {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw new DecodeError("value is not valid UTF-8");
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DecodeError(`value is not valid JSON: ${safeMessage(error)}`);
  }
}

function serializeJson(output: unknown): Buffer {
  return Buffer.from(JSON.stringify(output), "utf8");
}

function serializeOrFail<Output>(
  finish: (output: Output) => PreparedRecord | Promise<PreparedRecord>,
  output: Output,
): PreparedRecord | Promise<PreparedRecord> {
  try {
    return finish(output);
  } catch (error) {
    return encodeFailed(error);
  }
}

function failed(error: RecordError | RetryLaterError | TransientError): PreparedRecord {
  return { ok: false, error };
}

function contextOf(record: SourceRecord): TransformContext {
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    key: record.key,
    headers: record.headers,
  };
}

function toSchemaIssue(issue: StandardSchemaV1.Issue): { path: string; message: string } {
  const path = (issue.path ?? [])
    .map((segment) => String(typeof segment === "object" ? segment.key : segment))
    .join(".");
  return { path, message: issue.message };
}

/**
 * What a JSON parser said, reduced to where it stopped: V8's messages quote the payload around the
 * bad token (`Unexpected token 'y', "{"pin":"9876","x":y}" is not valid JSON`), and payloads must
 * never reach logs, dead-letter headers or the index through an error message.
 */
function safeMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const position = /\bposition (\d+)/.exec(text)?.[1];
  const lineColumn = /\(line (\d+) column (\d+)\)/.exec(text);
  if (position !== undefined) return `syntax error at position ${position}`;
  if (lineColumn !== null) return `syntax error at line ${lineColumn[1]} column ${lineColumn[2]}`;
  if (/unexpected end/i.test(text)) return "unexpected end of input";
  return "syntax error";
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}
