/**
 * The local stack's schema registry (Apicurio Registry's Confluent-compatible API) as the tests
 * reach it, and registration through that API, as a producer's serializer registers schemas.
 */
export function schemaRegistryUrl(): string {
  return (
    process.env.SCHEMA_REGISTRY_URL ??
    `http://127.0.0.1:${process.env.SCHEMA_REGISTRY_PORT ?? "8081"}/apis/ccompat/v7`
  );
}

/** `POST /subjects/{subject}/versions`; returns the schema's global id. */
export async function registerSchema(
  subject: string,
  schemaType: "AVRO" | "PROTOBUF" | "JSON",
  schema: string,
  url: string = schemaRegistryUrl(),
): Promise<number> {
  const response = await fetch(`${url}/subjects/${encodeURIComponent(subject)}/versions`, {
    method: "POST",
    headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
    body: JSON.stringify({ schema, schemaType }),
  });
  const body = (await response.json()) as { id?: number; message?: string };
  if (!response.ok || typeof body.id !== "number") {
    throw new Error(`registering ${subject}: HTTP ${response.status} ${body.message ?? ""}`);
  }
  return body.id;
}
