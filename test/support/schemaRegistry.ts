/**
 * The local stack's schema registry (Apicurio Registry's Confluent-compatible API) as the tests
 * reach it, and registration through that API, as a producer's serializer registers schemas.
 */
import { registerSchema as register } from "../../emulator/samples/schemaRegistration";
import { localSchemaRegistryUrl } from "../../functions/lib/config";

/** SCHEMA_REGISTRY_URL (the integration setup exports it), else the stack's on SCHEMA_REGISTRY_PORT. */
export function schemaRegistryUrl(): string {
  return localSchemaRegistryUrl();
}

/** `POST /subjects/{subject}/versions`; returns the schema's global id. */
export function registerSchema(
  subject: string,
  schemaType: "AVRO" | "PROTOBUF" | "JSON",
  schema: string,
  url: string = schemaRegistryUrl(),
): Promise<number> {
  return register(url, subject, schemaType, schema);
}
