import { Ajv, type ErrorObject } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import { SchemaViolationError } from "../../core/errors";
import { parseUtf8Json } from "../../core/pipeline";
import type { Codec } from "../types";

/**
 * JSON Schema with ajv (the most used validator, compiles a schema to a function once). The payload
 * is UTF-8 JSON; a value the schema rejects is a `validate` dead letter with ajv's paths, its values
 * never quoted. Draft 2020-12 when the schema says so (`$schema`), draft-07 otherwise.
 */
export function jsonSchemaCodec(definition: string): Codec {
  const schema = JSON.parse(definition) as Record<string, unknown>;
  const options = { allErrors: true, strict: false };
  const ajv =
    typeof schema.$schema === "string" && schema.$schema.includes("2020-12")
      ? new Ajv2020(options)
      : new Ajv(options);
  const validate = ajv.compile(schema);
  const checked = (value: unknown) => {
    if (!validate(value)) throw new SchemaViolationError((validate.errors ?? []).map(toIssue));
    return value;
  };
  return {
    decode: (payload) => checked(parseUtf8Json(payload)),
    encode: (value) => ({ payload: Buffer.from(JSON.stringify(checked(value)), "utf8"), messageIndexes: [] }),
  };
}

function toIssue(error: ErrorObject): { path: string; message: string } {
  return {
    path: error.instancePath.replace(/^\//, "").replaceAll("/", "."),
    message: error.message ?? error.keyword,
  };
}
