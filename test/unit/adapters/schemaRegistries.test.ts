/**
 * The registry adapters against recorded answers: the Confluent REST API's JSON bodies and status
 * codes (as Confluent and Apicurio's ccompat API send them), and the shapes of Glue's
 * GetSchemaVersion output and errors as the AWS SDK v3 surfaces them.
 */
import { describe, expect, it } from "vitest";
import { ConfluentSchemaRegistry } from "../../../functions/lib/adapters/ConfluentSchemaRegistry";
import { GlueSchemaRegistry } from "../../../functions/lib/adapters/GlueSchemaRegistry";
import { SchemaNotFoundError, SchemaRegistryUnavailableError } from "../../../functions/lib/core/errors";
import { PAYMENT_AVRO_V1 } from "../../fixtures/schemas";

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
  });

function confluent(answer: (url: string, init?: RequestInit) => Response | Promise<Response>) {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  const registry = new ConfluentSchemaRegistry({
    url: "http://registry.test/apis/ccompat/v7/",
    basicAuth: { username: "u", password: "p" },
    requestTimeoutMs: 200,
    fetch: (async (url: string, init?: RequestInit) => {
      calls.push({ url, init });
      return answer(url, init);
    }) as typeof fetch,
  });
  return { registry, calls };
}

describe("ConfluentSchemaRegistry", () => {
  it("reads a schema by id; no schemaType means Avro", async () => {
    const { registry, calls } = confluent(() => json(200, { schema: PAYMENT_AVRO_V1 }));

    const schema = await registry.schemaById("12");

    expect(schema).toEqual({ id: "12", format: "AVRO", definition: PAYMENT_AVRO_V1 });
    expect(calls[0]?.url).toBe("http://registry.test/apis/ccompat/v7/schemas/ids/12");
    expect((calls[0]?.init?.headers as Record<string, string> | undefined)?.authorization).toBe("Basic dTpw");
  });

  it("reads a subject's latest version with its id and type", async () => {
    const { registry, calls } = confluent(() =>
      json(200, { subject: "orders-value", version: 3, id: 31, schemaType: "PROTOBUF", schema: "syntax..." }),
    );

    expect(await registry.latestVersion("orders-value")).toEqual({
      id: "31",
      format: "PROTOBUF",
      definition: "syntax...",
    });
    expect(calls[0]?.url).toMatch(/\/subjects\/orders-value\/versions\/latest$/);
  });

  it("turns a 404 for an id into SchemaNotFoundError", async () => {
    const { registry } = confluent(() => json(404, { error_code: 40403, message: "Schema 99 not found" }));

    await expect(registry.schemaById("99")).rejects.toBeInstanceOf(SchemaNotFoundError);
  });

  it.each([429, 500, 503, 401])(
    "turns HTTP %i into a retriable SchemaRegistryUnavailableError",
    async (status) => {
      const { registry } = confluent(() => json(status, { error_code: status * 100, message: "no" }));

      const error = await registry.schemaById("1").catch((e: unknown) => e);

      expect(error).toBeInstanceOf(SchemaRegistryUnavailableError);
      expect(error).toMatchObject({ retriable: true, status });
    },
  );

  it("turns a refused connection and a timeout into SchemaRegistryUnavailableError", async () => {
    const refused = confluent(() => {
      throw new TypeError("fetch failed", {
        cause: Object.assign(new Error("connect"), { code: "ECONNREFUSED" }),
      });
    });
    const slow = confluent(
      (_url, init) =>
        new Promise<Response>((_, reject) =>
          init?.signal?.addEventListener("abort", () => reject(init.signal?.reason)),
        ),
    );

    await expect(refused.registry.schemaById("1")).rejects.toThrow(/ECONNREFUSED/);
    await expect(slow.registry.schemaById("1")).rejects.toBeInstanceOf(SchemaRegistryUnavailableError);
  });

  it("gives up when the caller's signal (the invocation deadline) aborts", async () => {
    const { registry } = confluent(
      (_url, init) =>
        new Promise<Response>((_, reject) =>
          init?.signal?.addEventListener("abort", () => reject(init.signal?.reason)),
        ),
    );
    const controller = new AbortController();

    const pending = registry.schemaById("1", controller.signal);
    controller.abort();

    await expect(pending).rejects.toBeInstanceOf(SchemaRegistryUnavailableError);
  });
});

/** What the SDK hands back from GetSchemaVersion (https://docs.aws.amazon.com/glue/latest/webapi/API_GetSchemaVersion.html). */
const GLUE_OUTPUT = {
  $metadata: { httpStatusCode: 200, requestId: "5c3b1c4e-0000-4000-8000-000000000000", attempts: 1 },
  CreatedTime: "2026-11-30T10:00:00.000Z",
  DataFormat: "AVRO",
  SchemaArn: "arn:aws:glue:eu-west-1:111122223333:schema/payments-registry/payments",
  SchemaDefinition: PAYMENT_AVRO_V1,
  SchemaVersionId: "b7b4a7f0-9c1e-4a55-8d3c-0123456789ab",
  Status: "AVAILABLE",
  VersionNumber: 1,
};
const awsError = (name: string, status: number) =>
  Object.assign(new Error(`${name} message`), {
    name,
    $fault: status >= 500 ? "server" : "client",
    $metadata: { httpStatusCode: status },
  });

function glue(answer: (input: Record<string, unknown>) => unknown) {
  const inputs: Record<string, unknown>[] = [];
  const registry = new GlueSchemaRegistry({
    registryName: "payments-registry",
    client: {
      send: (async (command: { input: Record<string, unknown> }) => {
        inputs.push(command.input);
        return answer(command.input);
      }) as never,
    },
  });
  return { registry, inputs };
}

describe("GlueSchemaRegistry", () => {
  it("reads a schema version by its id", async () => {
    const { registry, inputs } = glue(() => GLUE_OUTPUT);

    expect(await registry.schemaById(GLUE_OUTPUT.SchemaVersionId)).toEqual({
      id: GLUE_OUTPUT.SchemaVersionId,
      format: "AVRO",
      definition: PAYMENT_AVRO_V1,
    });
    expect(inputs).toEqual([{ SchemaVersionId: GLUE_OUTPUT.SchemaVersionId }]);
  });

  it("reads a schema name's latest version in the configured registry", async () => {
    const { registry, inputs } = glue(() => ({ ...GLUE_OUTPUT, DataFormat: "JSON" }));

    expect((await registry.latestVersion("payments")).format).toBe("JSON");
    expect(inputs[0]).toEqual({
      SchemaId: { RegistryName: "payments-registry", SchemaName: "payments" },
      SchemaVersionNumber: { LatestVersion: true },
    });
  });

  it("turns EntityNotFoundException into SchemaNotFoundError", async () => {
    const { registry } = glue(() => {
      throw awsError("EntityNotFoundException", 400);
    });

    await expect(registry.schemaById(GLUE_OUTPUT.SchemaVersionId)).rejects.toBeInstanceOf(
      SchemaNotFoundError,
    );
  });

  it.each([
    ["ThrottlingException", 400],
    ["InternalServiceException", 500],
    ["AccessDeniedException", 400],
  ])("turns %s into a retriable SchemaRegistryUnavailableError", async (name, status) => {
    const { registry } = glue(() => {
      throw awsError(name, status);
    });

    await expect(registry.schemaById("x")).rejects.toMatchObject({
      name: "SchemaRegistryUnavailableError",
      retriable: true,
    });
  });
});
