/**
 * Entry of the processor bundle the format tests run: the deployed wiring with one pipeline whose
 * values come from the local schema registry. The test picks how values arrive (IT_FRAMING) and
 * the Avro reader schema (IT_AVRO_READER_SCHEMA), the one format it reads (IT_FORMAT); SCHEMA_REGISTRY_URL points at the registry.
 */
import * as z from "zod";
import { ConfluentSchemaRegistry } from "../../../functions/lib/adapters/ConfluentSchemaRegistry";
import { definePipeline } from "../../../functions/lib/core/pipeline";
import type { DataFormat, SourceFraming } from "../../../functions/lib/formats/constants";
import { schemaRegistryFormat } from "../../../functions/lib/formats/schemaRegistryFormat";
import { createProcessorHandler } from "../../../functions/lib/lambda/processorHandler";

const source = process.env.IT_SOURCE_TOPIC ?? "it.formats.unset";
const readerSchema = process.env.IT_AVRO_READER_SCHEMA;
const format = process.env.IT_FORMAT as DataFormat | undefined;

export const { handler, parts } = createProcessorHandler([
  definePipeline({
    sourceTopic: source,
    targetTopic: `${source}.out`,
    ...schemaRegistryFormat({
      framing: (process.env.IT_FRAMING ?? "confluent") as SourceFraming,
      registry: new ConfluentSchemaRegistry({
        url: process.env.SCHEMA_REGISTRY_URL ?? "",
        requestTimeoutMs: 1_000,
      }),
      ...(readerSchema ? { avroReaderSchema: readerSchema } : {}),
      ...(format ? { format } : {}),
    }),
    schema: z.looseObject({ id: z.string().min(1) }),
    transform: (value) => ({ ...value, processed: true }),
  }),
]);
