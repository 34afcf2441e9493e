/**
 * The data formats a schema registry holds, named as both Confluent's REST API (`schemaType`) and
 * Lambda's event (`dataFormat` of `keySchemaMetadata` / `valueSchemaMetadata`) name them.
 * Lambda: https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html
 */
export const DATA_FORMATS = {
  avro: "AVRO",
  protobuf: "PROTOBUF",
  /** JSON Schema; Glue calls it `JSON` too. */
  jsonSchema: "JSON",
} as const;
export type DataFormat = (typeof DATA_FORMATS)[keyof typeof DATA_FORMATS];

/** How a record's bytes reach the function, and so how they name their schema. */
export const SOURCE_FRAMINGS = {
  /** Confluent wire format, decoded by the function: magic byte 0, 4-byte schema id, payload. */
  confluent: "confluent",
  /** AWS Glue Schema Registry wire format, decoded by the function: version 3, compression, UUID. */
  glue: "glue",
  /** The mapping deserialized the record (`EventRecordFormat: JSON`): the value is JSON text. */
  mappingJson: "mapping-json",
  /** The mapping validated the record and delivers its bytes without the registry header (`SOURCE`). */
  mappingSource: "mapping-source",
} as const;
export type SourceFraming = (typeof SOURCE_FRAMINGS)[keyof typeof SOURCE_FRAMINGS];

/** What the target topic receives. */
export const OUTPUT_FORMATS = {
  /** The transform's output as JSON text (the default). */
  json: "json",
  /** Re-encoded in the registry format of a configured subject, framed as the source registry frames. */
  source: "source",
} as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[keyof typeof OUTPUT_FORMATS];

/** `unknown`: the bytes named no schema, so nobody can say which format they were meant to be. */
export const UNKNOWN_FORMAT = "unknown";
