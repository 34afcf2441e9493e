import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { HandlerLoadError } from "./errors";
import type { KafkaLambdaHandler } from "./types";

/**
 * Imports a handler module the way Lambda's runtime does: once, so its top-level code (clients,
 * configuration) runs like a cold start. Set environment variables before calling this.
 *
 * @example
 * const handler = await loadHandler("functions/processor/handler.ts", "handler");
 */
export async function loadHandler(modulePath: string, exportName = "handler"): Promise<KafkaLambdaHandler> {
  const absolute = isAbsolute(modulePath) ? modulePath : resolve(process.cwd(), modulePath);
  if (!existsSync(absolute)) throw new HandlerLoadError(`handler module ${modulePath} does not exist`);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new HandlerLoadError(
      `importing ${modulePath} failed (its top-level code threw): ${reason.split("\n")[0]}`,
      {
        cause: error,
      },
    );
  }
  const handler = module[exportName];
  if (typeof handler !== "function") {
    const exported = Object.keys(module).filter((k) => typeof module[k] === "function");
    throw new HandlerLoadError(
      `${modulePath} has no function export "${exportName}"` +
        (exported.length > 0 ? `; it exports ${exported.join(", ")}` : ""),
    );
  }
  return handler as KafkaLambdaHandler;
}
