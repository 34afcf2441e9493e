/**
 * How a Lambda function of this project is bundled: the one definition the CDK construct gives
 * `NodejsFunction`, and that the emulator, the tests and the benchmarks use to build the very same
 * file, so that what runs here is what Lambda runs (minified names included).
 *
 * Plain data and esbuild only: no aws-cdk-lib import, so local tools load it without CDK.
 */
import { mkdirSync } from "node:fs";
import { basename, dirname, extname } from "node:path";

/** CommonJS dependencies (kafkajs) call require(); an ESM bundle needs one defined. */
const REQUIRE_BANNER =
  "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

export const LAMBDA_BUNDLE = {
  target: "node24",
  format: "esm",
  minify: true,
  /**
   * Source maps without the sources: stack traces name our files, the bundle stays small. Read on
   * the first stack trace (`functions/lib/lambda/stackTraces.ts`), not with `--enable-source-maps`,
   * which reads every module's map at load: 22 ms of the processor's INIT and 8 MB.
   */
  sourceMap: true,
  sourcesContent: false,
  mainFields: ["module", "main"] as readonly string[],
  banner: REQUIRE_BANNER,
  /** Everything bundled, the AWS SDK too: the function runs the versions the tests ran. */
  externalModules: [] as readonly string[],
  /**
   * Code splitting: what the handler imports with `import()` (the AWS SDK clients, needed only for
   * a dead letter, the ledger, idempotency or a secret) goes into chunks of its own, which INIT
   * neither reads nor parses (issue 11). ESM only; esbuild needs an output directory for it.
   */
  splitting: true,
  /**
   * @platformatic/kafka's WebAssembly helpers (CRC-32C, lz4, snappy) read `native.wasm` next to
   * their module at load, which a bundle does not have; their `bundled` entry embeds the same
   * bytes. Only the `KAFKA_PRODUCER=platformatic` chunk imports them.
   */
  alias: { "@platformatic/wasm-utils": "@platformatic/wasm-utils/bundled" } as Readonly<
    Record<string, string>
  >,
} as const;

/** The entry's output file name: Lambda's handler `index.handler` finds `index.mjs`. */
const ENTRY_NAME = "index";

/**
 * Builds `entry` into `outfile` (and its chunks, next to it) with esbuild exactly as the construct
 * does with {@link LAMBDA_BUNDLE}: `NodejsFunction`'s own esbuild run, then {@link splitBundleCommand}.
 *
 * @example
 * await buildLambdaBundle("functions/processor/handler.ts", "/tmp/processor/index.mjs");
 */
export async function buildLambdaBundle(entry: string, outfile: string): Promise<string> {
  const { build } = await import("esbuild");
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [entry],
    outdir: dirname(outfile),
    entryNames: basename(outfile, extname(outfile)),
    outExtension: { ".js": extname(outfile) },
    splitting: LAMBDA_BUNDLE.splitting,
    bundle: true,
    platform: "node",
    target: LAMBDA_BUNDLE.target,
    format: LAMBDA_BUNDLE.format,
    minify: LAMBDA_BUNDLE.minify,
    sourcemap: LAMBDA_BUNDLE.sourceMap,
    sourcesContent: LAMBDA_BUNDLE.sourcesContent,
    mainFields: [...LAMBDA_BUNDLE.mainFields],
    banner: { js: LAMBDA_BUNDLE.banner },
    external: [...LAMBDA_BUNDLE.externalModules],
    alias: { ...LAMBDA_BUNDLE.alias },
    logLevel: "silent",
  });
  return outfile;
}

/**
 * The shell command that rebuilds `entry` into `outputDir` with code splitting, for
 * `NodejsFunction`'s `afterBundling` hook. `NodejsFunction` always gives esbuild `--outfile`
 * (`index.mjs` for ESM), and esbuild refuses `--splitting` without `--outdir` and `--outdir` next
 * to `--outfile`, so `esbuildArgs: { "--splitting": true }` (the CDK README's example of passing
 * arguments, https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_lambda_nodejs-readme.html)
 * cannot work; the hook runs the same esbuild with the same flags and an output directory, over
 * the single file of the first run. Same options as {@link buildLambdaBundle}.
 */
export function splitBundleCommand(entry: string, outputDir: string): string {
  const flags = [
    "--bundle",
    "--platform=node",
    `--target=${LAMBDA_BUNDLE.target}`,
    `--format=${LAMBDA_BUNDLE.format}`,
    ...(LAMBDA_BUNDLE.minify ? ["--minify"] : []),
    ...(LAMBDA_BUNDLE.sourceMap ? ["--sourcemap"] : []),
    `--sources-content=${LAMBDA_BUNDLE.sourcesContent}`,
    `--main-fields=${LAMBDA_BUNDLE.mainFields.join(",")}`,
    `--banner:js=${LAMBDA_BUNDLE.banner}`,
    ...LAMBDA_BUNDLE.externalModules.map((name) => `--external:${name}`),
    ...Object.entries(LAMBDA_BUNDLE.alias).map(([name, target]) => `--alias:${name}=${target}`),
    ...(LAMBDA_BUNDLE.splitting ? ["--splitting"] : []),
    `--outdir=${outputDir}`,
    `--entry-names=${ENTRY_NAME}`,
    "--out-extension:.js=.mjs",
    "--log-level=warning",
    entry,
  ];
  return ["npx", "--no-install", "esbuild", ...flags].map(shellQuoted).join(" ");
}

/** One argument for `bash -c`, single-quoted. */
function shellQuoted(argument: string): string {
  return /^[\w@%+=:,./-]+$/.test(argument) ? argument : `'${argument.replaceAll("'", `'\\''`)}'`;
}
