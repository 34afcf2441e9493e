/**
 * The redrive Lambda as Lambda runs it: `functions/redrive/handler.ts` bundled with the one shared
 * definition the CDK construct gives `NodejsFunction` (minified ESM, AWS SDK included), then
 * imported from the built `index.mjs`. Tests of the handler call this, not the sources.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Context } from "aws-lambda";
import { buildLambdaBundle } from "../../../infra/bundling/lambdaBundle";

export type BundledHandler = (event: unknown, context: Context) => Promise<unknown>;

/** Inside node_modules, so nothing generated lands in the working tree and Vitest leaves it as built. */
const OUT_DIR = resolve(process.cwd(), "node_modules/.cache/redrive-bundle");

export async function loadRedriveBundle(): Promise<{ handler: BundledHandler; file: string }> {
  const file = await buildLambdaBundle(
    resolve(process.cwd(), "functions/redrive/handler.ts"),
    resolve(OUT_DIR, `${process.pid}-${Date.now().toString(36)}`, "index.mjs"),
  );
  const module = (await import(/* @vite-ignore */ pathToFileURL(file).href)) as { handler?: BundledHandler };
  if (typeof module.handler !== "function") throw new Error(`${file} exports no handler`);
  return { handler: module.handler, file };
}
