/**
 * Benchmarks of pure CPU work run from an esbuild bundle, minified as `NodejsFunction` deploys it
 * (tsx would add a name-keeping wrapper to every closure and measure an artifact), in a child
 * process per sample so that each reports its own peak RSS and JIT state.
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import { lambdaHeapFlags } from "../emulator/sandbox/sandboxLaunch";
import { failureText, runChild, succeeded } from "./childRun";
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

/** Starts the line a bundled child writes its result on, so other output cannot be mistaken for it. */
const RESULT_PREFIX = "bench-result ";

/** Writes a bundled child's result, its last line, for {@link runBundled} to read. */
export function printResult(result: unknown): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

/**
 * Runs the bundle with `args` in a fresh Node process and returns what it gave {@link printResult}.
 * The process gets the V8 heap flags Lambda's Node runtime sets for the construct's default memory
 * size, so the garbage collector works in the young and old spaces a deployed function has. Once
 * the result is written the process has a few seconds to exit (see `childRun.ts`).
 */
export async function runBundled<T>(bundle: string, args: readonly string[]): Promise<T> {
  const flags = lambdaHeapFlags(CONSTRUCT_MEMORY_MB, undefined);
  let result: T | undefined;
  let written = false;
  const run = await runChild(process.execPath, [...flags, bundle, ...args], {
    label: `${bundle} ${args.join(" ")}`,
    onLine: (line) => {
      if (!line.startsWith(RESULT_PREFIX)) return;
      result = JSON.parse(line.slice(RESULT_PREFIX.length)) as T;
      written = true;
    },
    complete: () => written,
  });
  if (!succeeded(run)) {
    throw new Error(`${bundle} ${args.join(" ")} failed (${failureText(run)})`);
  }
  return result as T;
}

/** The flag's value when the bundle was started with `--<flag> <value>`. */
export function flagValue(flag: string): string | undefined {
  const at = process.argv.indexOf(`--${flag}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}
