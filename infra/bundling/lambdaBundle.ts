/**
 * How a Lambda function of this project is bundled: the one definition the CDK construct gives
 * `NodejsFunction`, and that the emulator, the tests and the benchmarks use to build the very same
 * file, so that what runs here is what Lambda runs (minified names included).
 *
 * Plain data and esbuild only: no aws-cdk-lib import, so local tools load it without CDK.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

/** CommonJS dependencies (kafkajs) call require(); an ESM bundle needs one defined. */
const REQUIRE_BANNER =
  "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

export const LAMBDA_BUNDLE = {
  target: "node24",
  format: "esm",
  minify: true,
  /** Source maps without the sources: stack traces name our files, the bundle stays small. */
  sourceMap: true,
  sourcesContent: false,
  mainFields: ["module", "main"] as readonly string[],
  banner: REQUIRE_BANNER,
  /** Everything bundled, the AWS SDK too: the function runs the versions the tests ran. */
  externalModules: [] as readonly string[],
} as const;

/**
 * Builds `entry` into `outfile` with esbuild exactly as `NodejsFunction` does with
 * {@link LAMBDA_BUNDLE} (CDK runs the same esbuild with these flags).
 *
 * @example
 * await buildLambdaBundle("functions/processor/handler.ts", "/tmp/processor/index.mjs");
 */
export async function buildLambdaBundle(entry: string, outfile: string): Promise<string> {
  const { build } = await import("esbuild");
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [entry],
    outfile,
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
    logLevel: "silent",
  });
  return outfile;
}
