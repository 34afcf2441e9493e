/**
 * Issue 11, cold start: INIT of the processor bundle reads no AWS SDK client. Built with the
 * construct's bundle definition (code splitting); the modules the entry reaches through static
 * imports are what INIT reads, the rest sits in chunks loaded by the first call that needs them.
 */
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { initFootprint } from "../../../infra/bundling/initFootprint";

let atInit: string[] = [];
let onDemand: string[] = [];
/** Modules of INIT's files that put code into them (esbuild lists tree-shaken ones with 0 bytes). */
let codeAtInit: string[] = [];

beforeAll(async () => {
  const {
    outputs,
    atInit: initFiles,
    onDemand: laterFiles,
  } = await initFootprint(resolve("functions/processor/handler.ts"));
  const inputsOf = (files: readonly string[]) =>
    files.flatMap((file) => Object.keys(outputs[file]?.inputs ?? {}));
  atInit = inputsOf(initFiles);
  onDemand = inputsOf(laterFiles);
  codeAtInit = initFiles.flatMap((file) =>
    Object.entries(outputs[file]?.inputs ?? {})
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([module]) => module),
  );
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

  it("leaves @platformatic/kafka (KAFKA_PRODUCER=platformatic) to a chunk of its own", () => {
    expect(atInit.filter((file) => file.includes("node_modules/@platformatic/"))).toEqual([]);
    for (const module of [
      "node_modules/@platformatic/kafka/",
      "functions/lib/adapters/PlatformaticMessageSink.ts",
    ]) {
      expect(
        onDemand.some((file) => file.includes(module)),
        module,
      ).toBe(true);
    }
  });

  // `import { z } from "zod"` binds zod's namespace as a value, which esbuild cannot shake: every
  // locale of zod's error messages came along, 364 of INIT's 805 KiB. `import * as z` lets it.
  it("holds English alone of zod's locales", () => {
    const locales = codeAtInit.filter((file) => file.includes("node_modules/zod/v4/locales/"));

    expect(locales.map((file) => file.slice(file.lastIndexOf("/") + 1))).toEqual(["en.js"]);
  });
});
