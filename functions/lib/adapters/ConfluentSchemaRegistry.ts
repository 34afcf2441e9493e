import { SchemaNotFoundError, SchemaRegistryUnavailableError } from "../core/errors";
import { DATA_FORMATS, type DataFormat, UNKNOWN_FORMAT } from "../formats/constants";
import { REGISTRY_KINDS, type RegisteredSchema, type SchemaRegistry } from "../formats/types";

export interface ConfluentSchemaRegistryOptions {
  /** Base URL of a Confluent-compatible API (Confluent, Apicurio's `/apis/ccompat/v7`, Redpanda, Karapace). */
  readonly url: string;
  readonly basicAuth?: { readonly username: string; readonly password: string };
  /** Per request, within the invocation's own deadline. @default 2_000 */
  readonly requestTimeoutMs?: number;
  /** Injected for tests. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/** Confluent's REST `schemaType`; absent means Avro (the API predates the other formats). */
const SCHEMA_TYPES: Readonly<Record<string, DataFormat>> = {
  AVRO: DATA_FORMATS.avro,
  PROTOBUF: DATA_FORMATS.protobuf,
  JSON: DATA_FORMATS.jsonSchema,
};

interface SchemaResponse {
  readonly id?: number;
  readonly schema?: string;
  readonly schemaType?: string;
}

/**
 * A Confluent-compatible schema registry over its REST API (`GET /schemas/ids/{id}`,
 * `GET /subjects/{subject}/versions/latest`), with Node's own fetch: two GET requests need no
 * client library. `@kafkajs/confluent-schema-registry` would bring its own avsc and protobufjs
 * majors and an HTTP layer (mappersmith) without per-request abort; `@confluentinc/schemaregistry`
 * brings axios, KMS and Vault clients for field encryption this project does not use.
 * API: https://docs.confluent.io/platform/current/schema-registry/develop/api.html
 *
 * A 404 is `SchemaNotFoundError` (the record names a schema that does not exist: a dead letter);
 * no answer in time, a network failure, 429, 5xx, and also 401/403 (a credentials problem is the
 * deployment's, not the record's) are `SchemaRegistryUnavailableError`: retried, never dead-lettered.
 */
export class ConfluentSchemaRegistry implements SchemaRegistry {
  readonly kind = REGISTRY_KINDS.confluent;
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(options: ConfluentSchemaRegistryOptions) {
    this.base = options.url.replace(/\/+$/, "");
    this.headers = { accept: "application/vnd.schemaregistry.v1+json, application/json" };
    if (options.basicAuth !== undefined) {
      const { username, password } = options.basicAuth;
      this.headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
    }
    this.timeoutMs = options.requestTimeoutMs ?? 2_000;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  async schemaById(id: string, signal?: AbortSignal): Promise<RegisteredSchema> {
    const body = await this.get(`/schemas/ids/${encodeURIComponent(id)}`, id, signal);
    return toSchema(id, body);
  }

  async latestVersion(subject: string, signal?: AbortSignal): Promise<RegisteredSchema> {
    const body = await this.get(
      `/subjects/${encodeURIComponent(subject)}/versions/latest`,
      undefined,
      signal,
    );
    if (typeof body.id !== "number") {
      throw new SchemaRegistryUnavailableError(`subject ${subject}: the registry's answer has no id`);
    }
    return toSchema(String(body.id), body);
  }

  private async get(
    path: string,
    schemaId: string | undefined,
    signal?: AbortSignal,
  ): Promise<SchemaResponse> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let response: Response;
    try {
      response = await this.fetch(`${this.base}${path}`, {
        headers: this.headers,
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      });
    } catch (error) {
      throw new SchemaRegistryUnavailableError(`schema registry ${path}: ${describeFetchFailure(error)}`, {
        cause: error,
      });
    }
    if (response.status === 404) {
      await response.body?.cancel();
      if (schemaId !== undefined) throw new SchemaNotFoundError({ format: UNKNOWN_FORMAT, schemaId });
      throw new SchemaRegistryUnavailableError(`schema registry ${path}: not found (404)`, { status: 404 });
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new SchemaRegistryUnavailableError(`schema registry ${path}: HTTP ${response.status}`, {
        status: response.status,
      });
    }
    try {
      return (await response.json()) as SchemaResponse;
    } catch (error) {
      throw new SchemaRegistryUnavailableError(`schema registry ${path}: unreadable answer`, {
        cause: error,
      });
    }
  }
}

function toSchema(id: string, body: SchemaResponse): RegisteredSchema {
  const format = SCHEMA_TYPES[body.schemaType ?? "AVRO"];
  if (typeof body.schema !== "string" || format === undefined) {
    throw new SchemaRegistryUnavailableError(
      `schema ${id}: the registry's answer has no schema of a known type`,
    );
  }
  return { id, format, definition: body.schema };
}

function describeFetchFailure(error: unknown): string {
  if (error instanceof Error) {
    const cause =
      error.cause instanceof Error
        ? ` (${(error.cause as { code?: string }).code ?? error.cause.message})`
        : "";
    return `${error.name}: ${error.message}${cause}`;
  }
  return String(error);
}
