import { basename, extname, isAbsolute, join, resolve } from "node:path";
import { buildLambdaBundle } from "../infra/bundling/lambdaBundle";
import { HandlerLoadError } from "./errors";

/**
 * Bundles a handler module exactly as the CDK construct has `NodejsFunction` package it for Lambda
 * (the shared definition in `infra/bundling/lambdaBundle.ts`), and returns the bundle's path.
 * Running the bundle rather than the TypeScript sources tests what is deployed: minified names,
 * no tsx transforms, the bundled AWS SDK.
 *
 * @example
 * const handler = await loadHandler(await bundleHandler("functions/processor/handler.ts"));
 */
export async function bundleHandler(modulePath: string, outDir = defaultOutDir()): Promise<string> {
  const entry = isAbsolute(modulePath) ? modulePath : resolve(process.cwd(), modulePath);
  const outfile = join(outDir, `${basename(entry, extname(entry))}-${Date.now().toString(36)}`, "index.mjs");
  try {
    return await buildLambdaBundle(entry, outfile);
  } catch (error) {
    const reason = (error as Error).message.split("\n")[0];
    throw new HandlerLoadError(`bundling ${modulePath} failed: ${reason}`, { cause: error });
  }
}

/** Inside node_modules, so nothing generated lands in the working tree. */
function defaultOutDir(): string {
  return resolve(process.cwd(), "node_modules/.cache/lambda-esm-emulator");
}
