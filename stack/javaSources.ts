/**
 * Small Java programs of the stack (`stack/java/*.java`), compiled once against a service's jars and
 * compiled again only when their source changes.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { StackError } from "./errors";
import type { ServiceName } from "./types";

export interface JavaSource {
  /** The class name, also the file's name under stack/java/. */
  readonly className: string;
  readonly service: ServiceName;
}

/** Compiles the source into `classesDir` unless the classes there come from the same source. */
export async function compileJavaSource(
  source: JavaSource,
  javac: string,
  classesDir: string,
  classPath: string,
): Promise<void> {
  const file = javaSourceFile(source);
  const digest = createHash("sha256")
    .update(await readFile(file))
    .digest("hex");
  const stamp = join(classesDir, `.${source.className}.sha256`);
  if ((await readFile(stamp, "utf8").catch(() => "")) === digest) return;
  await mkdir(classesDir, { recursive: true });
  const result = spawnSync(javac, ["-d", classesDir, "-cp", classPath, file], { encoding: "utf8" });
  if (result.status !== 0) {
    throw new StackError(`javac could not compile ${file}: ${result.stderr}`, { service: source.service });
  }
  await writeFile(stamp, digest);
}

export function javaSourceFile(source: JavaSource): string {
  return fileURLToPath(new URL(`./java/${source.className}.java`, import.meta.url));
}
