/**
 * Runs Lambda handler bundles the way the cost benchmarks need (cold start, memory, dead-letter
 * storms): built with the construct's own bundle definition, each run in a fresh child process
 * (`lambdaRunner.ts`) with the V8 heap flags Lambda's Node runtime sets for the memory size, against
 * the local stack. Each run reports INIT and, per event, time, CPU time and peak memory.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { lambdaHeapFlags } from "../emulator/sandbox/sandboxLaunch";
import type { KafkaEvent, KafkaEventRecord } from "../functions/lib/core/types";
import { buildLambdaBundle } from "../infra/bundling/lambdaBundle";
import { failureText, runChild, succeeded } from "./childRun";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const RUNNER = join(REPO, "bench/lambdaRunner.ts");
/** Inside node_modules, so nothing generated lands in the working tree. */
export const BENCH_CACHE = join(REPO, "node_modules/.cache/bench-bundles");

export interface InitReport {
  /** From the process's start: Node's start-up and the bundle's import, as Lambda's Init Duration. */
  readonly sinceStartMs: number;
  /** The bundle's import alone. */
  readonly importMs: number;
  readonly cpuMs: number;
  readonly maxRssKb: number;
}

export interface InvokeReport {
  readonly ms: number;
  readonly cpuMs: number;
  /** Peak resident memory of the process so far: Lambda's Max Memory Used. */
  readonly maxRssKb: number;
  readonly failures: number;
}

export interface RunReport {
  readonly init: InitReport;
  readonly invocations: readonly InvokeReport[];
}

/** Builds `entry` (repository-relative) as the construct does, under a name of its own. */
export async function buildBundle(entry: string, name: string): Promise<string> {
  return buildLambdaBundle(
    resolve(REPO, entry),
    join(BENCH_CACHE, `${name}-${Date.now().toString(36)}`, "index.mjs"),
  );
}

/** Writes a module with no code: the floor of INIT (Node's start-up and an import). */
export function emptyBundle(): string {
  const dir = join(BENCH_CACHE, "empty");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "index.mjs");
  writeFileSync(file, "export const handler = async () => null;\n");
  return file;
}

export interface RunOptions {
  readonly memorySizeMb: number;
  /** The function's environment, over this process's (the local stack's ports). */
  readonly environment?: Readonly<Record<string, string>>;
}

/** One fresh process: INIT of `bundle`, then each event in turn. */
export async function runBundle(
  bundle: string,
  events: readonly KafkaEvent[],
  options: RunOptions,
): Promise<RunReport> {
  const eventsFile = join(BENCH_CACHE, `events-${process.pid}-${Date.now().toString(36)}.json`);
  mkdirSync(BENCH_CACHE, { recursive: true });
  writeFileSync(eventsFile, JSON.stringify(events));
  const env: Record<string, string | undefined> = {
    ...process.env,
    // As the construct deploys the functions: no NODE_OPTIONS (test/infra checks their environment).
    NODE_OPTIONS: undefined,
    // As in Lambda (the runtime's variables; `AWS_LAMBDA_FUNCTION_NAME` would mean "in AWS" to the
    // configuration, so it stays unset and the function uses the local stack).
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.memorySizeMb),
    AWS_REGION: process.env.AWS_REGION ?? "us-east-1",
    TZ: ":UTC",
    ...options.environment,
  };
  let init: InitReport | undefined;
  const invocations: InvokeReport[] = [];
  const run = await runChild(
    process.execPath,
    [...lambdaHeapFlags(options.memorySizeMb, undefined), RUNNER, bundle, eventsFile],
    {
      label: `lambdaRunner ${bundle}`,
      env,
      // The handler's own log lines (JSON too) share stdout; only the runner's lines have a phase.
      onLine: (line) => {
        if (!line.startsWith('{"phase"')) return;
        const parsed = JSON.parse(line) as { phase: string } & InitReport & InvokeReport;
        if (parsed.phase === "init") init = parsed;
        else invocations.push(parsed);
      },
      complete: () => init !== undefined && invocations.length === events.length,
    },
  );
  if (!succeeded(run) || init === undefined) {
    throw new Error(`bundle run of ${bundle} failed (${failureText(run)})`);
  }
  return { init, invocations };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export const mib = (kb: number) => Math.ceil(kb / 1024);

/** An employee record value of about `valueBytes` (the processor's example pipeline), valid or not. */
export function employeeValue(n: number, valueBytes: number, valid: boolean): Buffer {
  const employee = {
    "Employee-Number": n,
    name: `Employee ${n}`,
    age: valid ? 20 + (n % 45) : -1,
    department: ["engineering", "sales", "finance", "operations"][n % 4],
    notes: "",
  };
  employee.notes = "x".repeat(Math.max(0, valueBytes - JSON.stringify(employee).length));
  return Buffer.from(JSON.stringify(employee));
}

export interface BatchSpec {
  readonly topic: string;
  readonly count: number;
  readonly valueBytes: number;
  readonly valid: (n: number) => boolean;
  /** First offset; distinct batches need distinct offsets (record ids are their coordinates). */
  readonly firstOffset: number;
  readonly partitions?: number;
}

/** A Kafka event of `count` records spread over the partitions, as the mapping delivers it. */
export function kafkaEvent(spec: BatchSpec): KafkaEvent {
  const records: Record<string, KafkaEventRecord[]> = {};
  const partitions = spec.partitions ?? 3;
  for (let n = 0; n < spec.count; n += 1) {
    const partition = n % partitions;
    const id = `${spec.topic}-${partition}`;
    const list = records[id] ?? [];
    records[id] = list;
    list.push({
      topic: spec.topic,
      partition,
      offset: spec.firstOffset + Math.floor(n / partitions),
      timestamp: 1_763_800_000_000 + spec.firstOffset + n,
      timestampType: "CREATE_TIME",
      key: Buffer.from(`emp-${n}`).toString("base64"),
      value: employeeValue(n, spec.valueBytes, spec.valid(n)).toString("base64"),
      headers: [],
    });
  }
  return { eventSource: "aws:kafka", records };
}

/** Bytes of the event as Lambda's payload limit counts them (the JSON document). */
export function eventBytes(event: KafkaEvent): number {
  return Buffer.byteLength(JSON.stringify(event));
}
