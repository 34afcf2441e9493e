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

/**
 * Resolves once the registry answers. The integration setup starts it in the background (its first
 * start on a machine builds it), so the files that need it wait here while the others run.
 */
export async function waitForSchemaRegistry(
  url: string = schemaRegistryUrl(),
  timeoutMs = 280_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`the schema registry at ${url} did not answer within ${timeoutMs} ms (${last})`);
}
