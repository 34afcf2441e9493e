/**
 * Registering a schema through the Confluent-compatible REST API (`POST /subjects/{subject}/versions`),
 * as a producer's serializer does before its first record: the sample stream and the tests need the
 * ids the registry hands out. The registry returns the existing id for a schema it already has.
 * https://docs.confluent.io/platform/current/schema-registry/develop/api.html
 */
export async function registerSchema(
  url: string,
  subject: string,
  schemaType: "AVRO" | "PROTOBUF" | "JSON",
  schema: string,
): Promise<number> {
  const response = await fetch(
    `${url.replace(/\/+$/, "")}/subjects/${encodeURIComponent(subject)}/versions`,
    {
      method: "POST",
      headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
      body: JSON.stringify({ schema, schemaType }),
      signal: AbortSignal.timeout(10_000),
    },
  );
  const body = (await response.json().catch(() => ({}))) as { id?: number; message?: string };
  // Apicurio Registry 2.4 sometimes answers a new subject's first registration with 409 "already
  // exists" under load (seen in CI); the subject then holds the schema, and the lookup gives its id.
  if (response.status === 409) return lookUpSchema(url, subject, schemaType, schema, body.message);
  if (!response.ok || typeof body.id !== "number") {
    throw new Error(
      `registering a schema under ${subject}: HTTP ${response.status} ${body.message ?? ""}`.trim(),
    );
  }
  return body.id;
}

/** `POST /subjects/{subject}`: the id of a schema the subject already has; an error when it has not. */
async function lookUpSchema(
  url: string,
  subject: string,
  schemaType: "AVRO" | "PROTOBUF" | "JSON",
  schema: string,
  conflict: string | undefined,
): Promise<number> {
  const response = await fetch(`${url.replace(/\/+$/, "")}/subjects/${encodeURIComponent(subject)}`, {
    method: "POST",
    headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
    body: JSON.stringify({ schema, schemaType }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json().catch(() => ({}))) as { id?: number; message?: string };
  if (!response.ok || typeof body.id !== "number") {
    throw new Error(
      `registering a schema under ${subject}: HTTP 409 ${conflict ?? ""}, and the subject does not hold it (lookup: HTTP ${response.status} ${body.message ?? ""})`.trim(),
    );
  }
  return body.id;
}
