/**
 * What INIT of a split bundle loads: the entry point and every chunk it reaches through static
 * imports. The rest sits in chunks that only a dynamic `import()` reaches, loaded by the first call
 * that needs them. Read from esbuild's metafile of the construct's build ({@link LAMBDA_BUNDLE}).
 */
import { build, type Metafile } from "esbuild";
import { LAMBDA_BUNDLE } from "./lambdaBundle";

export interface InitFootprint {
  readonly outputs: Metafile["outputs"];
  /** Output files INIT reads. */
  readonly atInit: readonly string[];
  /** Output files loaded on first use. */
  readonly onDemand: readonly string[];
}

export async function initFootprint(entry: string): Promise<InitFootprint> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    outdir: "/tmp/init-footprint",
    entryNames: "index",
    outExtension: { ".js": ".mjs" },
    splitting: LAMBDA_BUNDLE.splitting,
    platform: "node",
    target: LAMBDA_BUNDLE.target,
    format: LAMBDA_BUNDLE.format,
    minify: LAMBDA_BUNDLE.minify,
    mainFields: [...LAMBDA_BUNDLE.mainFields],
    banner: { js: LAMBDA_BUNDLE.banner },
    external: [...LAMBDA_BUNDLE.externalModules],
    alias: { ...LAMBDA_BUNDLE.alias },
    logLevel: "silent",
  });
  const { outputs } = result.metafile as Metafile;
  // Every module reached by import() is an entry point of its own for esbuild: the handler's is index.mjs.
  const entryOutput = Object.keys(outputs).find((file) => file.endsWith("/index.mjs"));
  if (entryOutput === undefined) throw new Error("esbuild's metafile names no entry point");
  const read = new Set<string>();
  const pending = [entryOutput];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (read.has(file)) continue;
    read.add(file);
    for (const imported of outputs[file]?.imports ?? []) {
      if (imported.kind === "import-statement" && imported.external !== true) pending.push(imported.path);
    }
  }
  return {
    outputs,
    atInit: [...read],
    onDemand: Object.keys(outputs).filter((file) => !read.has(file)),
  };
}
