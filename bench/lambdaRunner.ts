/**
 * Child process of the bundle benchmarks (`bundleRuns.ts`): one Lambda execution environment, as
 * far as cost goes. It imports a handler bundle (INIT), then invokes it with each event of a JSON
 * file in turn, and prints one JSON line per phase: the time, the CPU time and the process's peak
 * resident memory (`maxRSS`, what Lambda reports as Max Memory Used).
 *
 * Run by Node itself (type stripping), so it imports only Node's own modules.
 *
 *   node [heap flags] bench/lambdaRunner.ts <bundle.mjs> <events.json>
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [bundle, eventsFile] = process.argv.slice(2);
if (bundle === undefined || eventsFile === undefined) {
  throw new Error("usage: lambdaRunner.ts <bundle.mjs> <events.json>");
}

function report(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const cpuMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;

// INIT: from the process's start (Node's own start-up included, as in Lambda's Init Duration) and
// the import of the bundle alone.
const importStart = performance.now();
const cpuBefore = process.cpuUsage();
const loaded = (await import(pathToFileURL(bundle).href)) as {
  handler: (event: unknown, context: unknown) => Promise<unknown>;
};
report({
  phase: "init",
  sinceStartMs: performance.now(),
  importMs: performance.now() - importStart,
  cpuMs: cpuMs(process.cpuUsage(cpuBefore)),
  maxRssKb: process.resourceUsage().maxRSS,
});

const events = JSON.parse(readFileSync(eventsFile, "utf8")) as unknown[];
for (const [i, event] of events.entries()) {
  const deadline = Date.now() + 300_000;
  const context = {
    functionName: "bench-processor",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:111122223333:function:bench-processor",
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? "512",
    awsRequestId: `bench-${process.pid}-${i}`,
    logGroupName: "/aws/lambda/bench-processor",
    logStreamName: "bench",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  const started = performance.now();
  const cpu = process.cpuUsage();
  const response = (await loaded.handler(event, context)) as { batchItemFailures?: unknown[] } | undefined;
  report({
    phase: "invoke",
    index: i,
    ms: performance.now() - started,
    cpuMs: cpuMs(process.cpuUsage(cpu)),
    maxRssKb: process.resourceUsage().maxRSS,
    failures: response?.batchItemFailures?.length ?? 0,
  });
}
process.exit(0);
