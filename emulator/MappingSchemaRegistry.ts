/**
 * What an event source mapping with a schema registry (`KafkaSchemaRegistryConfig`, provisioned
 * mode) does to a record before the function sees it, for a Confluent-compatible registry and the
 * record's VALUE: the Confluent wire-format bytes are decoded with the schema they name; with
 * `EventRecordFormat: JSON` the value becomes the record as JSON text, with `SOURCE` the original
 * bytes without the registry header; either way the record carries `valueSchemaMetadata`
 * (`dataFormat`, `schemaId`). A record whose schema the registry does not have goes to the
 * on-failure destination as `SCHEMA_NOT_FOUND`, one that does not decode as
 * `DESERIALIZATION_ERROR` (dropped without a destination).
 * https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html
 *
 * Not documented, so chosen here: bytes without a Confluent header are a DESERIALIZATION_ERROR;
 * SOURCE strips Protobuf message indexes with the header; a registry that cannot answer holds the
 * batch back (the mapping counts a SchemaRegistryError and polls again) rather than failing it.
 */
import { SchemaDecodeError, SchemaNotFoundError } from "../functions/lib/core/errors";
import { parseConfluentFrame, readMessageIndexes } from "../functions/lib/formats/confluentWire";
import { DATA_FORMATS } from "../functions/lib/formats/constants";
import { SchemaCodecCache } from "../functions/lib/formats/SchemaCodecCache";
import type { CodecOptions, SchemaRegistry } from "../functions/lib/formats/types";
import { FAILURE_CONDITIONS, type FailureCondition } from "./constants";
import type { Pending } from "./pendingRecords";
import type { PolledRecord } from "./types";

export const EVENT_RECORD_FORMATS = { json: "JSON", source: "SOURCE" } as const;
export type EventRecordFormat = (typeof EVENT_RECORD_FORMATS)[keyof typeof EVENT_RECORD_FORMATS];

export interface MappingSchemaRegistryOptions extends CodecOptions {
  readonly registry: SchemaRegistry;
  /** @default "JSON" */
  readonly eventRecordFormat?: EventRecordFormat;
}

export interface StagedRecords {
  /** Records as the function receives them (converted, or already converted on an earlier delivery). */
  readonly ready: Pending[];
  readonly failed: { readonly condition: FailureCondition; readonly records: Pending[] }[];
}

export class MappingSchemaRegistry {
  readonly eventRecordFormat: EventRecordFormat;
  private readonly cache: SchemaCodecCache;
  /** Records already converted: a redelivery (partial response, retry) must not convert twice. */
  private readonly converted = new WeakSet<PolledRecord>();

  constructor(options: MappingSchemaRegistryOptions) {
    this.eventRecordFormat = options.eventRecordFormat ?? EVENT_RECORD_FORMATS.json;
    this.cache = new SchemaCodecCache(options.registry, options);
  }

  /**
   * Converts what has not been converted yet. Throws (a `SchemaRegistryUnavailableError`) when the
   * registry cannot answer: the caller keeps the records and tries again later.
   */
  async stage(records: readonly Pending[]): Promise<StagedRecords> {
    const ready: Pending[] = [];
    const notFound: Pending[] = [];
    const undecodable: Pending[] = [];
    const results = await Promise.all(
      records.map(async (pending) => {
        if (this.converted.has(pending.record) || pending.record.event.value == null) return pending;
        try {
          const record = await this.convert(pending.record);
          this.converted.add(record);
          return { ...pending, record };
        } catch (error) {
          if (error instanceof SchemaNotFoundError) return { pending, list: notFound };
          if (error instanceof SchemaDecodeError) return { pending, list: undecodable };
          throw error;
        }
      }),
    );
    for (const result of results) {
      if ("list" in result) result.list.push(result.pending);
      else ready.push(result);
    }
    const failed: StagedRecords["failed"] = [];
    if (notFound.length > 0) failed.push({ condition: FAILURE_CONDITIONS.schemaNotFound, records: notFound });
    if (undecodable.length > 0) {
      failed.push({ condition: FAILURE_CONDITIONS.deserializationError, records: undecodable });
    }
    return { ready, failed };
  }

  private async convert(record: PolledRecord): Promise<PolledRecord> {
    const bytes = Buffer.from(record.event.value as string, "base64");
    const frame = parseConfluentFrame(bytes);
    const id = String(frame.schemaId);
    const { schema, codec } = await this.cache.byId(id);
    const { indexes, payload } =
      schema.format === DATA_FORMATS.protobuf
        ? readMessageIndexes(frame.body)
        : { indexes: [] as number[], payload: frame.body };
    let value: Buffer;
    try {
      // SOURCE still deserializes: the mapping validates the record against its schema first.
      const decoded = codec.decode(payload, indexes);
      value =
        this.eventRecordFormat === EVENT_RECORD_FORMATS.json
          ? Buffer.from(JSON.stringify(decoded), "utf8")
          : payload;
    } catch (error) {
      throw new SchemaDecodeError({ format: schema.format, schemaId: id }, "does not decode", {
        cause: error,
      });
    }
    const event = {
      ...record.event,
      value: value.toString("base64"),
      valueSchemaMetadata: { dataFormat: schema.format, schemaId: id },
    };
    const eventJson = JSON.stringify(event);
    return { ...record, event, eventJson, eventBytes: Buffer.byteLength(eventJson) };
  }
}
