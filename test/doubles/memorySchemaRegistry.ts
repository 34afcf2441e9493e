import { SchemaNotFoundError, SchemaRegistryUnavailableError } from "../../functions/lib/core/errors";
import type { DataFormat } from "../../functions/lib/formats/constants";
import {
  REGISTRY_KINDS,
  type RegisteredSchema,
  type RegistryKind,
  type SchemaRegistry,
} from "../../functions/lib/formats/types";

/** A registry in memory for unit tests: ids count up from 1 (Confluent) or are UUIDs (Glue). */
export class MemorySchemaRegistry implements SchemaRegistry {
  readonly requests: string[] = [];
  /** While set, every request fails as an unreachable registry would. */
  down = false;
  private readonly byId = new Map<string, RegisteredSchema>();
  private readonly subjects = new Map<string, string[]>();

  constructor(readonly kind: RegistryKind = REGISTRY_KINDS.confluent) {}

  register(subject: string, format: DataFormat, definition: string, id?: string): string {
    const assigned =
      id ?? (this.kind === REGISTRY_KINDS.glue ? crypto.randomUUID() : String(this.byId.size + 1));
    this.byId.set(assigned, { id: assigned, format, definition });
    this.subjects.set(subject, [...(this.subjects.get(subject) ?? []), assigned]);
    return assigned;
  }

  async schemaById(id: string): Promise<RegisteredSchema> {
    this.requests.push(`id ${id}`);
    if (this.down) throw new SchemaRegistryUnavailableError("connect ECONNREFUSED");
    const schema = this.byId.get(id);
    if (schema === undefined) throw new SchemaNotFoundError({ format: "unknown", schemaId: id });
    return schema;
  }

  async latestVersion(subject: string): Promise<RegisteredSchema> {
    this.requests.push(`latest ${subject}`);
    if (this.down) throw new SchemaRegistryUnavailableError("connect ECONNREFUSED");
    const id = this.subjects.get(subject)?.at(-1);
    if (id === undefined) throw new SchemaRegistryUnavailableError(`subject ${subject}: not found (404)`);
    return this.byId.get(id) as RegisteredSchema;
  }
}
