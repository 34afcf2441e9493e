import { ConfigError, SchemaDecodeError, SchemaNotFoundError, type SchemaReference } from "../core/errors";
import { type CodecContext, type EncodeContext, parseUtf8Json } from "../core/pipeline";
import type { SourceRecord } from "../core/types";
import { encodeConfluentFrame, parseConfluentFrame, readMessageIndexes } from "./confluentWire";
import {
  DATA_FORMATS,
  type DataFormat,
  OUTPUT_FORMATS,
  SOURCE_FRAMINGS,
  type SourceFraming,
  UNKNOWN_FORMAT,
} from "./constants";
import { encodeGlueFrame, parseGlueFrame } from "./glueWire";
import { type CompiledSchema, SchemaCodecCache, type SchemaCodecCacheOptions } from "./SchemaCodecCache";
import { REGISTRY_KINDS, type SchemaRegistry } from "./types";

export type RegistryOutput =
  | { readonly format: typeof OUTPUT_FORMATS.json }
  | {
      readonly format: typeof OUTPUT_FORMATS.source;
      /** The subject (Confluent) or schema name (Glue) whose latest version encodes the output. */
      readonly subject: string;
    };

export interface SchemaRegistryFormatOptions extends SchemaCodecCacheOptions {
  /** How the value reaches the function: decoded by it (wire formats) or by the mapping. */
  readonly framing: SourceFraming;
  /** Where schemas come from; not needed for `mapping-json`. */
  readonly registry?: SchemaRegistry;
  /** The format records must have; a record of another is a decode dead letter. @default any */
  readonly format?: DataFormat;
  /** @default JSON */
  readonly output?: RegistryOutput;
}

/** The `decode` (and `encode`) of a pipeline whose values are Avro, Protobuf or JSON Schema. */
export interface RegistryCodecs {
  readonly decode: (record: SourceRecord, context: CodecContext) => unknown | Promise<unknown>;
  readonly encode?: (output: unknown, context: EncodeContext) => Promise<Buffer>;
}

/**
 * Decoding (and optionally re-encoding) of schema-registry values, to spread into `definePipeline`.
 * Outcomes: bytes without the framing, a schema id the registry does not know, or bytes that do not
 * decode with their schema are `decode` dead letters naming the schema id and format (the original
 * bytes are kept by the dead letter as always); a registry that cannot answer is a transient
 * failure, reported for retry and never dead-lettered. Schemas are cached for the container's life.
 *
 * @example
 * const registry = new ConfluentSchemaRegistry({ url: process.env.SCHEMA_REGISTRY_URL });
 * definePipeline({
 *   sourceTopic: "payments", targetTopic: "payments.processed",
 *   ...schemaRegistryFormat({ framing: "confluent", registry, format: "AVRO" }),
 *   schema: z.looseObject({ id: z.string(), amount: z.number() }),
 *   transform: (p) => ({ ...p, amount: Math.round(p.amount * 100) }),
 * });
 */
export function schemaRegistryFormat(options: SchemaRegistryFormatOptions): RegistryCodecs {
  const { framing, registry, format } = options;
  if (framing === SOURCE_FRAMINGS.mappingJson) {
    if (options.output?.format === OUTPUT_FORMATS.source && registry === undefined) {
      throw new ConfigError("schemaRegistryFormat", "needs a registry to re-encode the output");
    }
    return withEncode(options, registry, (record) => parseUtf8Json(record.value as Buffer));
  }
  if (registry === undefined)
    throw new ConfigError("schemaRegistryFormat", `needs a registry for ${framing}`);
  const cache = new SchemaCodecCache(registry, options);

  const decodeWith = (
    id: string,
    declared: string | undefined,
    signal: AbortSignal | undefined,
    payloadOf: (compiled: CompiledSchema) => { payload: Buffer; indexes: readonly number[] },
  ) => {
    const expected = format ?? declared ?? UNKNOWN_FORMAT;
    return cache.byId(id, signal).then(
      (compiled) => {
        const reference: SchemaReference = { format: compiled.schema.format, schemaId: id };
        if (format !== undefined && compiled.schema.format !== format) {
          throw new SchemaDecodeError(reference, `the pipeline reads ${format} only`);
        }
        try {
          const { payload, indexes } = payloadOf(compiled);
          return compiled.codec.decode(payload, indexes);
        } catch (error) {
          if (error instanceof SchemaDecodeError || !(error instanceof Error)) throw error;
          if (error.name === "SchemaViolationError") throw error;
          throw new SchemaDecodeError(reference, `bytes do not decode (${shortMessage(error)})`, {
            cause: error,
          });
        }
      },
      (error: unknown) => {
        // The adapter cannot know the format of a schema it does not have; the record may say.
        throw error instanceof SchemaNotFoundError && error.schema.format === UNKNOWN_FORMAT
          ? new SchemaNotFoundError({ format: expected, schemaId: id }, { cause: error.cause })
          : error;
      },
    );
  };

  const decode = (record: SourceRecord, { signal }: CodecContext): Promise<unknown> => {
    const bytes = record.value as Buffer;
    switch (framing) {
      case SOURCE_FRAMINGS.confluent: {
        const frame = parseConfluentFrame(bytes);
        return decodeWith(String(frame.schemaId), undefined, signal, ({ schema }) =>
          schema.format === DATA_FORMATS.protobuf
            ? (({ indexes, payload }) => ({ indexes, payload }))(readMessageIndexes(frame.body))
            : { payload: frame.body, indexes: [] },
        );
      }
      case SOURCE_FRAMINGS.glue: {
        const frame = parseGlueFrame(bytes);
        return decodeWith(frame.schemaVersionId, undefined, signal, () => ({
          payload: frame.payload,
          indexes: [],
        }));
      }
      case SOURCE_FRAMINGS.mappingSource: {
        const metadata = record.valueSchemaMetadata;
        if (metadata === undefined) {
          throw new SchemaDecodeError(
            { format: UNKNOWN_FORMAT, schemaId: undefined },
            "the record has no valueSchemaMetadata (is the mapping validating VALUE with SOURCE format?)",
          );
        }
        return decodeWith(metadata.schemaId, metadata.dataFormat, signal, () => ({
          payload: bytes,
          indexes: [],
        }));
      }
    }
  };
  return withEncode(options, registry, decode, cache);
}

function withEncode(
  options: SchemaRegistryFormatOptions,
  registry: SchemaRegistry | undefined,
  decode: RegistryCodecs["decode"],
  existing?: SchemaCodecCache,
): RegistryCodecs {
  const output = options.output;
  if (output === undefined || output.format === OUTPUT_FORMATS.json || registry === undefined)
    return { decode };
  const cache = existing ?? new SchemaCodecCache(registry, options);
  const encode = async (value: unknown, { signal }: EncodeContext): Promise<Buffer> => {
    const { schema, codec } = await cache.latest(output.subject, signal);
    const { payload, messageIndexes } = codec.encode(value);
    return registry.kind === REGISTRY_KINDS.glue
      ? encodeGlueFrame(schema.id, payload, null)
      : encodeConfluentFrame(
          Number(schema.id),
          payload,
          schema.format === DATA_FORMATS.protobuf ? messageIndexes : undefined,
        );
  };
  return { decode, encode };
}

/** Library messages name offsets and types, not values; still, keep them short. */
function shortMessage(error: Error): string {
  return error.message.length <= 160 ? error.message : `${error.message.slice(0, 159)}…`;
}
