import avro from "avsc";
import type { Codec, CodecOptions } from "../types";

/**
 * Avro binary with avsc (Avro for JavaScript: the full specification incl. schema resolution, no
 * dependencies, ~60 kB minified). The writer's schema is the one the record names in the registry;
 * with `avroReaderSchema` the record is resolved to the reader's schema (Avro schema evolution:
 * defaults filled in, removed fields dropped), as a Java consumer with a specific reader does.
 */
export function avroCodec(definition: string, options: CodecOptions): Codec {
  const writer = avro.Type.forSchema(JSON.parse(definition) as avro.Schema);
  const reader =
    options.avroReaderSchema === undefined
      ? undefined
      : avro.Type.forSchema(JSON.parse(options.avroReaderSchema) as avro.Schema);
  const resolver = reader?.createResolver(writer);
  return {
    decode: (payload) =>
      reader !== undefined && resolver !== undefined
        ? reader.fromBuffer(payload, resolver)
        : writer.fromBuffer(payload),
    encode: (value) => {
      const errors: string[] = [];
      if (!writer.isValid(value, { errorHook: (path) => errors.push(path.join(".") || "(root)") })) {
        throw new TypeError(`not valid for the Avro schema at ${errors.slice(0, 5).join(", ")}`);
      }
      return { payload: writer.toBuffer(value), messageIndexes: [] };
    },
  };
}
