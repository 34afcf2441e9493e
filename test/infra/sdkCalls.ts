/**
 * What a function's code calls on AWS, read from the code itself: the files esbuild puts into the
 * function's bundle (its metafile, built with the construct's own bundle settings) are searched for
 * `new XxxCommand(` of the AWS SDK clients, and each call is mapped to the IAM action it needs and,
 * for DynamoDB, to the table (or the table's indexes) it runs against.
 *
 * Only this repository's files are searched: the SDK's own internals (credential providers, which
 * Lambda feeds from the environment) make no call the role must allow.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { build, type Plugin } from "esbuild";
import { LAMBDA_BUNDLE } from "../../infra/bundling/lambdaBundle";
import { REPO_ROOT } from "./stacks";

/** The SDK clients the functions use, and the IAM service prefix of each. */
const CLIENT_SERVICES: Readonly<Record<string, string>> = {
  "@aws-sdk/client-dynamodb": "dynamodb",
  "@aws-sdk/client-s3": "s3",
  "@aws-sdk/client-secrets-manager": "secretsmanager",
};

/**
 * Commands whose IAM action is not the command's name (Service Authorization Reference:
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html, ListObjectsV2
 * is authorized by s3:ListBucket). A transaction's actions are authorized as the item operations
 * they are (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html);
 * the functions' only transactions (dynamoBatch.ts `transactUpdateAll`) hold Update actions.
 */
const ACTION_OF_COMMAND: Readonly<Record<string, string>> = {
  "s3:ListObjectsV2": "s3:ListBucket",
  "dynamodb:TransactWriteItems": "dynamodb:UpdateItem",
};

/** The table schema constants of functions/lib/tables.ts, by the table the construct creates. */
export const TABLE_CONSTANTS = { DEAD_LETTER_TABLE: "deadLetters", ATTEMPTS_TABLE: "attempts" } as const;
export type TableName = (typeof TABLE_CONSTANTS)[keyof typeof TABLE_CONSTANTS];
/** A table, or its global secondary indexes (`deadLetters/index`). */
export type TableResource = TableName | `${TableName}/index`;

export interface SdkCall {
  /** Repository-relative file that constructs the command. */
  readonly file: string;
  /** `dynamodb:UpdateItem`, `s3:ListBucket`, … */
  readonly action: string;
  /** DynamoDB only: what the call runs against, traced through the files that import `file`. */
  readonly tables: readonly TableResource[];
}

/**
 * Every AWS SDK call the bundle of `entry` (repository-relative) can make. The bundle is built like
 * the construct's but not minified, so esbuild's tree shaking has dropped what no code path reaches
 * and each module's surviving code sits under a `// functions/…` comment naming its source file.
 */
export async function sdkCallsOf(entry: string): Promise<SdkCall[]> {
  const result = await build({
    entryPoints: [path.join(REPO_ROOT, entry)],
    bundle: true,
    write: false,
    outfile: "/tmp/sdk-calls/index.mjs",
    platform: "node",
    target: LAMBDA_BUNDLE.target,
    format: LAMBDA_BUNDLE.format,
    minify: false,
    mainFields: [...LAMBDA_BUNDLE.mainFields],
    external: [...LAMBDA_BUNDLE.externalModules],
    absWorkingDir: REPO_ROOT,
    logLevel: "silent",
    plugins: [ownModulesWithoutSideEffects],
  });
  const output = result.outputFiles.find((file) => file.path.endsWith(".mjs"))?.text ?? "";
  const sections = ownSections(output);

  const tablesOf = (file: string, seen = new Set<string>()): TableName[] => {
    if (seen.has(file)) return [];
    seen.add(file);
    const code = sections.get(file) ?? "";
    const own = Object.entries(TABLE_CONSTANTS)
      .filter(([constant]) => new RegExp(`\\b${constant}\\d*\\b`).test(code))
      .map(([, table]) => table);
    if (own.length > 0) return own;
    // A helper that takes the table as a parameter (dynamoBatch.ts) runs against the tables of the
    // surviving code that calls its functions.
    const helpers = [...code.matchAll(/^(?:async\s+)?function\*?\s+(\w+)/gm)].map(([, name]) => name);
    const callers = [...sections.keys()].filter(
      (other) =>
        other !== file && helpers.some((name) => new RegExp(`\\b${name}\\(`).test(sections.get(other) ?? "")),
    );
    return [...new Set(callers.flatMap((caller) => tablesOf(caller, seen)))];
  };

  return [...sections].flatMap(([file, code]) => {
    const services = importedCommandServices(readFileSync(path.join(REPO_ROOT, file), "utf8"));
    return [...code.matchAll(/new\s+(\w+?)Command\d*\s*\(/g)].flatMap(([, name]) => {
      const service = services.get(`${name}Command`);
      if (service === undefined) return [];
      const named = `${service}:${name}`;
      const action = ACTION_OF_COMMAND[named] ?? named;
      if (service !== "dynamodb") return [{ file, action, tables: [] }];
      // A Query naming an index runs against the index ARN, not the table's.
      const onIndex = action === "dynamodb:Query" && /\bIndexName\b/.test(code);
      const tables = tablesOf(file).map((table): TableResource => (onIndex ? `${table}/index` : table));
      return [{ file, action, tables }];
    });
  });
}

/** The bundle's code per source file of this repository, keyed by the repository-relative path. */
function ownSections(bundle: string): Map<string, string> {
  const sections = new Map<string, string>();
  const parts = bundle.split(/^\/\/ (\S+)$/m);
  for (let i = 1; i < parts.length; i += 2) {
    const file = parts[i] ?? "";
    if (!file.startsWith("functions/")) continue;
    sections.set(file, `${sections.get(file) ?? ""}${parts[i + 1] ?? ""}`);
  }
  return sections;
}

/**
 * Tells esbuild that this repository's modules have no side effects on import (true of functions/,
 * which only declares), so a module none of whose exports is used drops out of the bundle: the
 * redrive imports `dynamoClientConfig` from createProcessor.ts without running the processor's
 * adapters, and the calls of those adapters are not the redrive's.
 */
const ownModulesWithoutSideEffects: Plugin = {
  name: "own-modules-without-side-effects",
  setup(plugin) {
    plugin.onResolve({ filter: /^\./ }, async (args) => {
      // Relative imports inside packages are most of them (the AWS SDK's): answered at once, not
      // resolved a second time, which on a loaded machine made this build take minutes.
      if (args.pluginData === "resolving" || args.importer.includes(`${path.sep}node_modules${path.sep}`))
        return undefined;
      const resolved = await plugin.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: "resolving",
      });
      if (resolved.errors.length > 0 || !resolved.path.startsWith(path.join(REPO_ROOT, "functions"))) {
        return undefined;
      }
      return { path: resolved.path, sideEffects: false };
    });
  },
};

/** `XxxCommand` name -> IAM service prefix, from the file's imports of the SDK clients. */
function importedCommandServices(source: string): Map<string, string> {
  const services = new Map<string, string>();
  for (const [, names, client] of source.matchAll(
    /import\s*\{([^}]*)\}\s*from\s*"(@aws-sdk\/client-[\w-]+)"/g,
  )) {
    const service = CLIENT_SERVICES[client ?? ""];
    if (service === undefined) continue;
    for (const name of (names ?? "").split(",")) {
      const imported = name
        .trim()
        .replace(/^type\s+/, "")
        .split(/\s+as\s+/)
        .pop();
      if (imported?.endsWith("Command")) services.set(imported, service);
    }
  }
  return services;
}
