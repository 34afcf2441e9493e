import {
  GetSchemaVersionCommand,
  type GetSchemaVersionCommandOutput,
  type GetSchemaVersionInput,
  GlueClient,
} from "@aws-sdk/client-glue";
import { SchemaNotFoundError, SchemaRegistryUnavailableError } from "../core/errors";
import { DATA_FORMATS, type DataFormat, UNKNOWN_FORMAT } from "../formats/constants";
import { REGISTRY_KINDS, type RegisteredSchema, type SchemaRegistry } from "../formats/types";

export interface GlueSchemaRegistryOptions {
  /** The registry holding the subjects output is re-encoded with (schema names are per registry). */
  readonly registryName: string;
  /** Created once per container otherwise. */
  readonly client?: Pick<GlueClient, "send">;
  /** Per request, within the invocation's own deadline. @default 2_000 */
  readonly requestTimeoutMs?: number;
}

const DATA_FORMAT_NAMES: Readonly<Record<string, DataFormat>> = {
  AVRO: DATA_FORMATS.avro,
  PROTOBUF: DATA_FORMATS.protobuf,
  JSON: DATA_FORMATS.jsonSchema,
};

/**
 * AWS Glue Schema Registry through the SDK's `GetSchemaVersion` (by schema version id, or a schema
 * name's latest version). Needs `glue:GetSchemaVersion` on the registry and its schemas.
 * https://docs.aws.amazon.com/glue/latest/webapi/API_GetSchemaVersion.html
 *
 * `EntityNotFoundException` is `SchemaNotFoundError` (a dead letter); everything else (throttling,
 * 5xx, network, access denied: the deployment's problem, not the record's) is
 * `SchemaRegistryUnavailableError`, retried and never dead-lettered.
 */
export class GlueSchemaRegistry implements SchemaRegistry {
  readonly kind = REGISTRY_KINDS.glue;
  private readonly client: Pick<GlueClient, "send">;
  private readonly timeoutMs: number;

  constructor(private readonly options: GlueSchemaRegistryOptions) {
    this.client = options.client ?? new GlueClient({});
    this.timeoutMs = options.requestTimeoutMs ?? 2_000;
  }

  schemaById(id: string, signal?: AbortSignal): Promise<RegisteredSchema> {
    return this.get({ SchemaVersionId: id }, id, signal);
  }

  latestVersion(subject: string, signal?: AbortSignal): Promise<RegisteredSchema> {
    return this.get(
      {
        SchemaId: { RegistryName: this.options.registryName, SchemaName: subject },
        SchemaVersionNumber: { LatestVersion: true },
      },
      undefined,
      signal,
    );
  }

  private async get(
    request: GetSchemaVersionInput,
    schemaId: string | undefined,
    signal?: AbortSignal,
  ): Promise<RegisteredSchema> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let output: GetSchemaVersionCommandOutput;
    try {
      output = await this.client.send(new GetSchemaVersionCommand(request), {
        abortSignal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      });
    } catch (error) {
      const name = (error as { name?: unknown } | null)?.name;
      if (name === "EntityNotFoundException" && schemaId !== undefined) {
        throw new SchemaNotFoundError({ format: UNKNOWN_FORMAT, schemaId }, { cause: error });
      }
      const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
      throw new SchemaRegistryUnavailableError(
        `Glue GetSchemaVersion ${schemaId ?? request.SchemaId?.SchemaName}: ${String(name ?? "Error")}: ${(error as Error)?.message ?? ""}`,
        status === undefined ? { cause: error } : { cause: error, status },
      );
    }
    const format = DATA_FORMAT_NAMES[output.DataFormat ?? ""];
    if (
      output.SchemaVersionId === undefined ||
      output.SchemaDefinition === undefined ||
      format === undefined
    ) {
      throw new SchemaRegistryUnavailableError(
        `Glue GetSchemaVersion ${schemaId}: an answer without a schema`,
      );
    }
    return { id: output.SchemaVersionId, format, definition: output.SchemaDefinition };
  }
}
