/**
 * `npm run emulate -- --handler <module> --topics <t> [options]`: a Kafka event source mapping on
 * your machine, against any broker, for any handler. `--help` lists every option.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { S3ClientConfig } from "@aws-sdk/client-s3";
import { ConfluentSchemaRegistry } from "../functions/lib/adapters/ConfluentSchemaRegistry";
import { loadConfig } from "../functions/lib/config";
import { s3ClientConfig } from "../functions/lib/lambda/createProcessor";
import { silenceKafkajsTimeoutWarning } from "../stack/warnings";
import { bundleHandler } from "./bundleHandler";
import { type CliOptions, parseCliArgs, USAGE } from "./cliArgs";
import { EventSourceMappingEmulator, type SandboxOptions } from "./EventSourceMappingEmulator";
import { EmulatorError, HandlerLoadError } from "./errors";
import { loadHandler } from "./loadHandler";
import { MappingSchemaRegistry } from "./MappingSchemaRegistry";
import { resolveMappingSettings } from "./settings";
import type { KafkaLambdaHandler } from "./types";

async function main(argv: readonly string[]): Promise<number> {
  silenceKafkajsTimeoutWarning();
  const parsed = parseCliArgs(argv, process.env);
  if (parsed.help) {
    console.log(USAGE);
    return 0;
  }
  const settings = resolveMappingSettings(parsed.settings);
  const common = {
    connection: parsed.connection,
    settings,
    s3: s3Options(parsed, settings.region),
    ...(parsed.schemaRegistry === undefined
      ? {}
      : {
          schemaRegistry: new MappingSchemaRegistry({
            registry: new ConfluentSchemaRegistry({ url: parsed.schemaRegistry.url }),
            eventRecordFormat: parsed.schemaRegistry.eventRecordFormat,
          }),
        }),
  };
  const emulator = parsed.sandbox
    ? new EventSourceMappingEmulator({ ...common, sandbox: await sandboxOf(parsed) })
    : new EventSourceMappingEmulator({ ...common, handler: await inProcessHandler(parsed) });
  let interrupted = false;
  process.on("SIGINT", () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error("[emulator] stopping after the invocation in progress (Ctrl-C again to quit now)");
    emulator.stop();
  });

  const result = await emulator.run({
    ...(parsed.untilIdleMs === undefined ? {} : { untilIdleMs: parsed.untilIdleMs }),
    ...(parsed.maxBatches === undefined ? {} : { maxBatches: parsed.maxBatches }),
  });
  const s = result.stats;
  console.log(
    [
      `stopped (${result.reason}): polled ${s.polled}, invocations ${s.invocations}`,
      `  succeeded ${s.succeeded}, partial responses ${s.partialResponses}, function errors ${s.functionErrors}, timeouts ${s.timeouts}, invalid responses ${s.invalidResponses}`,
      `  redelivered records ${s.redeliveredRecords}, bisections ${s.bisections}`,
      `  on-failure: ${s.onFailureRecords} records in ${s.onFailureBatches} batches, dropped ${s.droppedRecords}`,
      `  committed records ${s.committedRecords}, outstanding ${s.outstanding}`,
      ...(parsed.sandbox
        ? [
            `  function: cold starts ${s.runtime.coldStarts}, timeouts ${s.runtime.timeouts}, out of memory ${s.runtime.outOfMemory}, runtime exits ${s.runtime.runtimeExits}, max memory used ${s.runtime.maxMemoryUsedMb} MB, duration p50 ${s.runtime.durationP50Ms} ms p99 ${s.runtime.durationP99Ms} ms`,
          ]
        : []),
      ...result.onFailureLocations.map((l) => `  -> ${l}`),
    ].join("\n"),
  );
  return s.droppedRecords > 0 || s.outstanding > 0 ? 3 : 0;
}

/** The handler imported here, after `--env` is applied, as at a Lambda cold start. */
async function inProcessHandler(parsed: CliOptions): Promise<KafkaLambdaHandler> {
  Object.assign(process.env, parsed.env);
  const modulePath = parsed.bundle ? await bundleHandler(parsed.handlerModule) : parsed.handlerModule;
  return loadHandler(modulePath, parsed.handlerExport);
}

/**
 * A sandbox runs JavaScript, as Lambda does: a TypeScript handler is bundled first, exactly as the
 * construct bundles it. `--env` becomes the function's environment, not the emulator's.
 */
async function sandboxOf(parsed: CliOptions): Promise<SandboxOptions> {
  const modulePath = resolve(parsed.handlerModule);
  if (!existsSync(modulePath))
    throw new HandlerLoadError(`handler module ${parsed.handlerModule} does not exist`);
  const typescript = /\.[cm]?ts$/.test(modulePath);
  return {
    module: parsed.bundle || typescript ? await bundleHandler(modulePath) : modulePath,
    exportName: parsed.handlerExport,
    environment: parsed.env,
  };
}

function s3Options(options: CliOptions, region: string): S3ClientConfig {
  if (options.s3Endpoint === "aws") return { region };
  const env =
    options.s3Endpoint === undefined ? process.env : { ...process.env, S3_ENDPOINT: options.s3Endpoint };
  return s3ClientConfig(loadConfig({ ...env, AWS_REGION: region }));
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // The handler's own clients (producers, sockets) are never closed by Lambda either.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (error: unknown) => {
    const known = error instanceof EmulatorError || (error instanceof Error && error.name === "ConfigError");
    console.error(`[emulator] ${known ? (error as Error).message : `unexpected error: ${String(error)}`}`);
    if (!known) console.error("[emulator] (set EMULATOR_DEBUG=1 for the stack trace)");
    if (process.env.EMULATOR_DEBUG === "1") console.error(error);
    process.exitCode = error instanceof EmulatorError ? 2 : 1;
  },
);
