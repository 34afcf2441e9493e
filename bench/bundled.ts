/**
 * Benchmarks of pure CPU work run from an esbuild bundle, minified as `NodejsFunction` deploys it
 * (tsx would add a name-keeping wrapper to every closure and measure an artifact), in a child
 * process per sample so that each reports its own peak RSS and JIT state.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import { lambdaHeapFlags } from "../emulator/sandbox/sandboxLaunch";
import { CONSTRUCT_MEMORY_MB } from "./lambdaCost";

const OUT_DIR = new URL("../.stack/bench/", import.meta.url);

/** Bundles the benchmark module `entry` (its `import.meta.url`) to `.stack/bench/<name>.mjs`. */
export async function bundleBenchmark(
  entry: string,
  name: string,
  absent: readonly string[] = [],
): Promise<string> {
  mkdirSync(fileURLToPath(OUT_DIR), { recursive: true });
  const outfile = fileURLToPath(new URL(`${name}.mjs`, OUT_DIR));
  await build({
    entryPoints: [fileURLToPath(entry)],
    bundle: true,
    platform: "node",
    format: "esm",
    minify: true,
    outfile,
    logLevel: "warning",
    external: ["esbuild"],
    plugins: absent.length > 0 ? [absentPackages(absent)] : [],
    define: { "process.env.BENCH_BUNDLED": '"1"' },
  });
  return outfile;
}

/**
 * Packages a dependency imports for a feature the benchmark never uses (and that are not
 * installed), bundled as empty modules; using one would fail loudly.
 */
function absentPackages(names: readonly string[]): Plugin {
  const filter = new RegExp(`^(${names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})$`);
  return {
    name: "absent-packages",
    setup(plugin) {
      plugin.onResolve({ filter }, (args) => ({ path: args.path, namespace: "absent" }));
      plugin.onLoad({ filter: /.*/, namespace: "absent" }, (args) => ({
        contents: [
          `const missing = () => { throw new Error(${JSON.stringify(`${args.path} is not installed`)}); };`,
          "export default new Proxy({}, { get: missing });",
          "export const BufferReader = missing;",
        ].join("\n"),
        loader: "js",
      }));
    },
  };
}

/**
 * Runs the bundle with `args` in a fresh Node process; its last stdout line is JSON. The process
 * gets the V8 heap flags Lambda's Node runtime sets for the construct's default memory size, so the
 * garbage collector works in the young and old spaces a deployed function has.
 */
export function runBundled<T>(bundle: string, args: readonly string[]): T {
  const flags = lambdaHeapFlags(CONSTRUCT_MEMORY_MB, undefined);
  const out = execFileSync(process.execPath, [...flags, bundle, ...args], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out.trim().split("\n").pop() ?? "{}") as T;
}

/** The flag's value when the bundle was started with `--<flag> <value>`. */
export function flagValue(flag: string): string | undefined {
  const at = process.argv.indexOf(`--${flag}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}
