import { DATA_FORMATS } from "../constants";
import type { Codec, CodecOptions, RegisteredSchema } from "../types";

/**
 * Compiles a registry schema into a codec. Each format's library is imported on first use: a
 * deployment whose pipelines read no Avro never evaluates avsc (esbuild keeps a dynamically imported
 * module in the bundle but runs it only when the import runs), so INIT stays what it was.
 */
export async function loadCodec(schema: RegisteredSchema, options: CodecOptions): Promise<Codec> {
  switch (schema.format) {
    case DATA_FORMATS.avro:
      return (await import("./avroCodec")).avroCodec(schema.definition, options);
    case DATA_FORMATS.protobuf:
      return (await import("./protobufCodec")).protobufCodec(schema.definition, options);
    case DATA_FORMATS.jsonSchema:
      return (await import("./jsonSchemaCodec")).jsonSchemaCodec(schema.definition);
  }
}
