import { beforeAll, describe, expect, it } from "vitest";
import { localSchemaRegistryUrl } from "../../../functions/lib/config";
import { uniqueName } from "../../support/names";
import { waitForSchemaRegistry } from "../../support/schemaRegistry";

/** The Confluent Schema Registry REST API as Apicurio Registry serves it (the local stack's). */
const registry = localSchemaRegistryUrl();
const CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

async function call(method: "GET" | "POST" | "PUT", path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${registry}${path}`, {
    method,
    headers: { "content-type": CONTENT_TYPE, accept: CONTENT_TYPE },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function register(subject: string, schema: object): Promise<number> {
  const { status, body } = await call("POST", `/subjects/${encodeURIComponent(subject)}/versions`, schema);
  expect({ status, body }).toMatchObject({ status: 200, body: { id: expect.any(Number) } });
  return body.id as number;
}

const ORDER_V1 = {
  type: "record",
  name: "Order",
  namespace: "com.example.orders",
  fields: [
    { name: "id", type: "string" },
    { name: "amount", type: "double" },
  ],
};

/** v2 adds a field with a default: a reader on v2 still reads every record written with v1. */
const ORDER_V2 = {
  ...ORDER_V1,
  fields: [...ORDER_V1.fields, { name: "currency", type: "string", default: "EUR" }],
};

/** Changing a field's type is not: a v3 reader cannot read v2's `amount` doubles as strings. */
const ORDER_INCOMPATIBLE = {
  ...ORDER_V1,
  fields: [
    { name: "id", type: "string" },
    { name: "amount", type: "string" },
  ],
};

const ORDER_PROTO = [
  'syntax = "proto3";',
  "package com.example.orders;",
  "",
  "message Order {",
  "  string id = 1;",
  "  double amount = 2;",
  "}",
  "",
].join("\n");

beforeAll(() => waitForSchemaRegistry());

describe("schema registry (Apicurio Registry, Confluent-compatible API)", () => {
  it("registers an Avro schema and serves it back by id", async () => {
    const subject = uniqueName("it-stack-registry", "avro-value");
    const schema = JSON.stringify(ORDER_V1);

    const id = await register(subject, { schema });
    const byId = await call("GET", `/schemas/ids/${id}`);

    expect(byId.status).toBe(200);
    // Avro is the API's default type, so the answer carries no schemaType.
    expect(JSON.parse(byId.body.schema as string)).toEqual(ORDER_V1);
    expect(byId.body.schemaType ?? "AVRO").toBe("AVRO");
  });

  it("registers a Protobuf schema and serves it back by id with its type", async () => {
    const subject = uniqueName("it-stack-registry", "protobuf-value");

    const id = await register(subject, { schemaType: "PROTOBUF", schema: ORDER_PROTO });
    const byId = await call("GET", `/schemas/ids/${id}`);

    expect(byId.status).toBe(200);
    expect(byId.body).toMatchObject({ schemaType: "PROTOBUF", schema: ORDER_PROTO });
  });

  it("registers a JSON Schema and serves it back by id with its type", async () => {
    const subject = uniqueName("it-stack-registry", "json-value");
    const schema = JSON.stringify({
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "object",
      properties: { id: { type: "string" } },
      required: ["id"],
    });

    const id = await register(subject, { schemaType: "JSON", schema });
    const byId = await call("GET", `/schemas/ids/${id}`);

    expect(byId.body).toMatchObject({ schemaType: "JSON" });
    expect(JSON.parse(byId.body.schema as string)).toEqual(JSON.parse(schema));
  });

  it("accepts a backward-compatible v2 of a subject under BACKWARD and refuses an incompatible one", async () => {
    const subject = uniqueName("it-stack-registry", "orders-value");
    const path = `/subjects/${encodeURIComponent(subject)}`;
    const v1 = await register(subject, { schema: JSON.stringify(ORDER_V1) });
    const config = await call("PUT", `/config/${encodeURIComponent(subject)}`, { compatibility: "BACKWARD" });
    expect(config).toMatchObject({ status: 200, body: { compatibility: "BACKWARD" } });

    const check = await call("POST", `/compatibility${path}/versions/latest`, {
      schema: JSON.stringify(ORDER_V2),
    });
    const v2 = await register(subject, { schema: JSON.stringify(ORDER_V2) });
    const refused = await call("POST", `${path}/versions`, { schema: JSON.stringify(ORDER_INCOMPATIBLE) });
    const versions = await fetch(`${registry}${path}/versions`).then((r) => r.json());
    const latest = await call("GET", `${path}/versions/latest`);
    const first = await call("GET", `${path}/versions/1`);

    expect(check.body).toMatchObject({ is_compatible: true });
    expect(v2).not.toBe(v1);
    expect(refused.status).toBe(409);
    expect(versions).toEqual([1, 2]);
    expect(latest.body).toMatchObject({ subject, version: 2, id: v2 });
    expect(JSON.parse(latest.body.schema as string)).toEqual(ORDER_V2);
    // A record written with v1 names v1's id: it must still resolve to v1's schema.
    expect(first.body).toMatchObject({ subject, version: 1, id: v1 });
    expect(JSON.parse((await call("GET", `/schemas/ids/${v1}`)).body.schema as string)).toEqual(ORDER_V1);
  });

  it("gives the same id to the same schema registered again (idempotent producers rely on it)", async () => {
    const subject = uniqueName("it-stack-registry", "again-value");
    const schema = JSON.stringify(ORDER_V1);

    const first = await register(subject, { schema });
    const again = await register(subject, { schema });

    expect(again).toBe(first);
  });

  it("answers an unknown schema id with 404 and Confluent's error code 40403", async () => {
    const unknown = await call("GET", "/schemas/ids/987654321");

    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error_code: 40403 });
  });
});
