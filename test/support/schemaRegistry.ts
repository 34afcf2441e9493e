/**
 * The local stack's schema registry (Apicurio Registry's Confluent-compatible API) as the tests
 * reach it, and registration through that API, as a producer's serializer registers schemas.
 */
import { registerSchema as register } from "../../emulator/samples/schemaRegistration";

export function schemaRegistryUrl(): string {
  return (
    process.env.SCHEMA_REGISTRY_URL ??
    `http://127.0.0.1:${process.env.SCHEMA_REGISTRY_PORT ?? "8081"}/apis/ccompat/v7`
  );
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
