/**
 * Issue 9 item 6: Lambda runs a minified bundle, where a name derived from the constructor would
 * be `fo` instead of `SchemaViolationError` in DLQ headers, envelopes, the index and logs. This test
 * builds the error modules with the construct's own bundle definition and checks every error class
 * of the deployed code reports its source name.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { buildLambdaBundle } from "../../../infra/bundling/lambdaBundle";

const ROOT = resolve(import.meta.dirname, "../../..");
const MODULES = [
  "functions/lib/core/errors.ts",
  "functions/lib/redrive/errors.ts",
  "functions/lib/redrive/onFailureDocument.ts",
];

/** Arguments that let each class be constructed; a class missing here fails the test. */
const ARGS: Record<string, unknown[]> = {
  PipelineError: ["m"],
  ConfigError: ["VAR", "is bad"],
  MalformedEventError: ["m"],
  RecordError: ["decode", "m"],
  UnroutableRecordError: ["t"],
  DecodeError: ["m"],
  SchemaDecodeError: [{ format: "AVRO", schemaId: "1" }, "m"],
  SchemaNotFoundError: [{ format: "AVRO", schemaId: "1" }],
  SchemaRegistryUnavailableError: ["m"],
  SchemaViolationError: [[{ path: "a", message: "b" }]],
  TransformError: [new Error("x")],
  RetryLaterError: ["m"],
  RecordTooLargeError: [2, 1],
  ProduceRejectedError: ["m"],
  RetriesExhaustedError: [3, "m"],
  TransientError: ["m"],
  DeadlineReachedError: [],
  DeadLetterWriteError: ["topic", new Error("x")],
  BatchRetryError: [3],
  RedriveInputError: ["m"],
  ArchiveUnreadableError: ["m"],
  DeadLetterNotFoundError: ["t:0:1"],
  UnknownTopicError: [["t"]],
  RedriveFailedError: [{ runId: "r", total: { replayed: 0 } }, new Error("x")],
  OnFailureDocumentError: ["m"],
};

let bundled: Record<string, unknown>;
let sources: Record<string, unknown>;

beforeAll(async () => {
  const dir = join(ROOT, "node_modules/.cache/error-names");
  mkdirSync(dir, { recursive: true });
  const entry = join(dir, "entry.ts");
  writeFileSync(entry, MODULES.map((m) => `export * from ${JSON.stringify(join(ROOT, m))};`).join("\n"));
  const outfile = await buildLambdaBundle(entry, join(dir, `bundle-${Date.now()}`, "index.mjs"));
  bundled = (await import(pathToFileURL(outfile).href)) as Record<string, unknown>;
  sources = Object.assign({}, ...(await Promise.all(MODULES.map((m) => import(join(ROOT, m))))));
}, 60_000);

const isErrorClass = (value: unknown): value is new (...args: unknown[]) => Error =>
  typeof value === "function" && value.prototype instanceof Error;

describe("error class names in the minified bundle", () => {
  it("covers every error class the deployed code exports", () => {
    const names = Object.keys(sources).filter((name) => isErrorClass(sources[name]));
    expect(names.length).toBeGreaterThan(10);
    expect(names.filter((name) => !(name in ARGS))).toEqual([]);
  });

  it("minifies the code (the test would prove nothing otherwise)", () => {
    const Cls = bundled.SchemaViolationError as { toString(): string };
    expect(Cls.toString()).not.toContain("SchemaViolationError extends");
  });

  it.each(Object.keys(ARGS))("%s keeps its name", (name) => {
    const Cls = bundled[name];
    expect(isErrorClass(Cls), `${name} is exported by the bundle`).toBe(true);
    const error = new (Cls as new (...args: unknown[]) => Error)(...(ARGS[name] as unknown[]));
    expect(error.name).toBe(name);
    expect(String(error)).toMatch(new RegExp(`^${name}`));
  });
});
