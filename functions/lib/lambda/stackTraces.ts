/**
 * Stack traces through the bundle's source maps, with the map read on the first trace instead of
 * at INIT.
 *
 * `--enable-source-maps` reads and parses the map of every module as Node loads it. For the
 * processor that cost 22 ms of INIT (import 140 → 162 ms, INIT CPU 154 → 186 ms) and 8 MB, in
 * alternating fresh processes on this machine (README, "Stack traces"). It paid that on every cold
 * start, for stack traces that only an error escaping the handler shows.
 *
 * This installs `Error.prepareStackTrace`, which V8 calls when an error's `stack` is first read.
 * The map is read there, once per file, so a container that never shows a trace never reads one.
 * Frames of files without a map (Node's own, or a map that cannot be read) keep V8's text.
 * `--enable-source-maps`, when set anyway, is left to do the work.
 */
import { readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";

interface LoadedMap {
  readonly map: SourceMap;
  /** Where the map's relative `sources` start from. */
  readonly directory: string;
}

/** The maps read so far, by the generated file's URL or path; `null` when a file has none. */
const maps = new Map<string, LoadedMap | null>();

/** How many files have had their map looked up: none until a trace is made (tests check INIT). */
export function sourceMapsLoaded(): number {
  return maps.size;
}

/**
 * Installs the lazy mapping, once. Does nothing when Node maps traces itself, or when something
 * else (a test runner, source-map-support) already formats them.
 */
export function mapStackTracesLazily(): void {
  if (process.sourceMapsEnabled || !isNodesOwn(Error.prepareStackTrace)) return;
  Error.prepareStackTrace = prepareStackTrace;
}

/** Node (20 to 24) puts a formatter of its own there, `ErrorPrepareStackTrace`; older ones none. */
function isNodesOwn(formatter: typeof Error.prepareStackTrace): boolean {
  return formatter === undefined || formatter.name === "ErrorPrepareStackTrace";
}

function prepareStackTrace(error: Error, frames: NodeJS.CallSite[]): string {
  let header: string;
  try {
    header = String(error);
  } catch {
    header = "<error>";
  }
  return [header, ...frames.map((frame, i) => `    at ${mappedFrame(frame, frames[i + 1])}`)].join("\n");
}

/** One frame, as V8 writes it, with the generated position and name replaced by the original ones. */
function mappedFrame(frame: NodeJS.CallSite, caller: NodeJS.CallSite | undefined): string {
  const text = frame.toString();
  try {
    const file = frame.getFileName();
    const line = frame.getLineNumber();
    const column = frame.getColumnNumber();
    if (file === undefined || file === null || line === null || column === null) return text;
    const loaded = mapOf(file);
    const origin = loaded?.map.findOrigin(line, column);
    if (loaded == null || origin === undefined || !("fileName" in origin)) return text;
    const source = isAbsolute(origin.fileName) ? origin.fileName : resolve(loaded.directory, origin.fileName);
    const where = `${source}:${origin.lineNumber}:${origin.columnNumber}`;
    const name = originalName(loaded.map, frame, caller) ?? frame.getFunctionName() ?? "<anonymous>";
    const prefix = frame.isAsync() ? "async " : frame.isConstructor() ? "new " : "";
    return `${prefix}${name} (${where})`;
  } catch {
    // A trace must never fail because of its mapping: V8's own text then.
    return text;
  }
}

/**
 * The function's name in the source: the name the map gives where the function starts, else the
 * name at the call in its caller (the callee's identifier there), as Node's own mapping does.
 */
function originalName(
  map: SourceMap,
  frame: NodeJS.CallSite,
  caller: NodeJS.CallSite | undefined,
): string | undefined {
  const startLine = frame.getEnclosingLineNumber();
  const startColumn = frame.getEnclosingColumnNumber();
  if (startLine != null && startColumn != null) {
    const name = nameAt(map, startLine, startColumn);
    if (name !== undefined) return name;
  }
  if (caller === undefined || caller.getFileName() !== frame.getFileName()) return undefined;
  const callLine = caller.getLineNumber();
  const callColumn = caller.getColumnNumber();
  if (callLine === null || callColumn === null) return undefined;
  return nameAt(map, callLine, callColumn);
}

/** The source name the map gives at a generated position (1-based, as call sites count). */
function nameAt(map: SourceMap, line: number, column: number): string | undefined {
  // An empty object when nothing is mapped there.
  const { name } = map.findEntry(line - 1, column - 1) as { name?: string };
  return name || undefined;
}

function mapOf(file: string): LoadedMap | null {
  const known = maps.get(file);
  if (known !== undefined) return known;
  let loaded: LoadedMap | null = null;
  try {
    const path = file.startsWith("file:") ? fileURLToPath(file) : file;
    const mapFile = `${path}.map`;
    loaded = { map: new SourceMap(JSON.parse(readFileSync(mapFile, "utf8"))), directory: dirname(mapFile) };
  } catch {
    // No map beside the file (Node's own modules among them), or one that cannot be read.
    loaded = null;
  }
  maps.set(file, loaded);
  return loaded;
}
