import { mkdirSync } from "node:fs";
import { basename, dirname, extname, isAbsolute, join, resolve } from "node:path";
import { HandlerLoadError } from "./errors";

/**
 * Bundles a handler module with esbuild the way `NodejsFunction` packages it for Lambda (one
 * minified ESM file, the AWS SDK left to the runtime), and returns the bundle's path. Running the
 * bundle rather than the TypeScript sources measures what is deployed, without tsx's transforms.
 *
 * @example
 * const handler = await loadHandler(await bundleHandler("functions/processor/handler.ts"));
 */
export async function bundleHandler(modulePath: string, outDir = defaultOutDir()): Promise<string> {
  const entry = isAbsolute(modulePath) ? modulePath : resolve(process.cwd(), modulePath);
  const outfile = join(outDir, `${basename(entry, extname(entry))}-${Date.now().toString(36)}.mjs`);
  mkdirSync(dirname(outfile), { recursive: true });
  let build: typeof import("esbuild").build;
  try {
    ({ build } = await import("esbuild"));
  } catch (error) {
    throw new HandlerLoadError("bundling needs esbuild (a devDependency of this project)", { cause: error });
  }
  try {
    await build({
      entryPoints: [entry],
      bundle: true,
      platform: "node",
      target: "node24",
      format: "esm",
      minify: true,
      outfile,
      external: ["@aws-sdk/*"],
      // Some CommonJS dependencies call require(); ESM bundles need it defined.
      banner: {
        js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
      },
      logLevel: "silent",
    });
  } catch (error) {
    throw new HandlerLoadError(`bundling ${modulePath} failed: ${(error as Error).message.split("\n")[0]}`, {
      cause: error,
    });
  }
  return outfile;
}

/** Inside node_modules so the bundle resolves the AWS SDK from the project's dependencies. */
function defaultOutDir(): string {
  return resolve(process.cwd(), "node_modules/.cache/lambda-esm-emulator");
}
