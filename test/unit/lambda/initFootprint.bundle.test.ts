/**
 * Issue 11, cold start: INIT of the processor bundle reads no AWS SDK client. Built with the
 * construct's bundle definition (code splitting); the modules the entry reaches through static
 * imports are what INIT reads, the rest sits in chunks loaded by the first call that needs them.
 */
import { resolve } from "node:path";
import { build, type Metafile } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { LAMBDA_BUNDLE } from "../../../infra/bundling/lambdaBundle";

let atInit: string[] = [];
let onDemand: string[] = [];

beforeAll(async () => {
  const result = await build({
    entryPoints: [resolve("functions/processor/handler.ts")],
    bundle: true,
    write: false,
    metafile: true,
    outdir: "/tmp/init-footprint-test",
    entryNames: "index",
    outExtension: { ".js": ".mjs" },
    splitting: LAMBDA_BUNDLE.splitting,
    platform: "node",
    target: LAMBDA_BUNDLE.target,
    format: LAMBDA_BUNDLE.format,
    mainFields: [...LAMBDA_BUNDLE.mainFields],
    banner: { js: LAMBDA_BUNDLE.banner },
    logLevel: "silent",
  });
  const { outputs } = result.metafile as Metafile;
  const entry = Object.keys(outputs).find((file) => file.endsWith("/index.mjs")) as string;
  const read = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (read.has(file)) continue;
    read.add(file);
    for (const imported of outputs[file]?.imports ?? []) {
      if (imported.kind === "import-statement") pending.push(imported.path);
    }
  }
  const inputsOf = (files: string[]) => files.flatMap((file) => Object.keys(outputs[file]?.inputs ?? {}));
  atInit = inputsOf([...read]);
  onDemand = inputsOf(Object.keys(outputs).filter((file) => !read.has(file)));
}, 60_000);

describe("what INIT of the processor bundle reads", () => {
  it("holds kafkajs, zod, the logger and the processor, and no AWS SDK client or the MSK signer", () => {
    expect(atInit.some((file) => file.includes("node_modules/kafkajs/"))).toBe(true);
    expect(atInit.some((file) => file.includes("node_modules/@aws-lambda-powertools/logger/"))).toBe(true);
    expect(
      atInit.filter((file) => /node_modules\/(@aws-sdk|@smithy|aws-msk-iam-sasl-signer-js)\//.test(file)),
    ).toEqual([]);
  });

  it("leaves the S3, DynamoDB and Secrets Manager clients and their adapters to chunks", () => {
    for (const module of [
      "node_modules/@aws-sdk/client-s3/",
      "node_modules/@aws-sdk/client-dynamodb/",
      "node_modules/@aws-sdk/client-secrets-manager/",
      "functions/lib/adapters/S3DeadLetterArchive.ts",
      "functions/lib/adapters/DynamoDeadLetterIndex.ts",
      "functions/lib/adapters/kafkaSecrets.ts",
    ]) {
      expect(
        onDemand.some((file) => file.includes(module)),
        module,
      ).toBe(true);
    }
  });
});
