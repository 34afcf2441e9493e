import type { DataFormat } from "./constants";

/** A schema as a registry returns it: its id there, its format and its definition text. */
export interface RegisteredSchema {
  /** Confluent: the global schema id (decimal); Glue: the schema version UUID. */
  readonly id: string;
  readonly format: DataFormat;
  /** Avro JSON, `.proto` text or JSON Schema, exactly as registered. */
  readonly definition: string;
}

export const REGISTRY_KINDS = {
  confluent: "confluent",
  glue: "glue",
} as const;
export type RegistryKind = (typeof REGISTRY_KINDS)[keyof typeof REGISTRY_KINDS];

/**
 * The port the formats depend on: a Confluent-compatible REST registry or AWS Glue (adapters in
 * `functions/lib/adapters`). Implementations throw `SchemaNotFoundError` when the registry says the
 * schema does not exist and `SchemaRegistryUnavailableError` when it cannot answer (unreachable,
 * timed out, 429, 5xx), and stop when `signal` is aborted.
 */
export interface SchemaRegistry {
  readonly kind: RegistryKind;
  schemaById(id: string, signal?: AbortSignal): Promise<RegisteredSchema>;
  /** The newest version registered under `subject` (Confluent subject, Glue schema name). */
  latestVersion(subject: string, signal?: AbortSignal): Promise<RegisteredSchema>;
}

/** Bytes of one format to a value and back, compiled once per schema. */
export interface Codec {
  /** `messageIndexes` pick the Protobuf message in the schema (Confluent's indexes); others ignore them. */
  decode(payload: Buffer, messageIndexes: readonly number[]): unknown;
  encode(value: unknown): EncodedPayload;
}

export interface EncodedPayload {
  readonly payload: Buffer;
  /** The Protobuf message's indexes, for the Confluent frame; empty for other formats. */
  readonly messageIndexes: readonly number[];
}

/** What the codecs may be told besides the schema. */
export interface CodecOptions {
  /** Avro: the schema the pipeline reads with; records written with another version are resolved to it. */
  readonly avroReaderSchema?: string;
  /** Protobuf: the fully qualified message to use when the bytes carry no message indexes. */
  readonly protobufMessage?: string;
}
