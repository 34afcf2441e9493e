/**
 * `--local`: the canary's mapping on this machine. The processor is bundled as the construct deploys it
 * and run under the event source mapping emulator on the canary topic, with the construct's default
 * mapping settings, while the checks run exactly as they do against AWS.
 */
import * as path from "node:path";
import {
  bundleHandler,
  type EmulatorLogger,
  EventSourceMappingEmulator,
  loadHandler,
  type RunResult,
  resolveMappingSettings,
} from "../../emulator/index";
import type { Config, FailureKeyName } from "../../functions/lib/config";
import { s3ClientConfig } from "../../functions/lib/lambda/createProcessor";
import { LOCAL_FUNCTION_NAME } from "./deployment";

const PROCESSOR = path.resolve(import.meta.dirname, "../../functions/processor/handler.ts");

export interface LocalMappingOptions {
  readonly config: Config;
  readonly topic: string;
  readonly runId: string;
  /** The key the emulated mapping reads; the function's FAILURE_KEY_NAME unless a test says otherwise. */
  readonly itemIdentifierKey: FailureKeyName;
  /** Where the canary topic's partitions ended before the run: the mapping starts there. */
  readonly startOffsets: ReadonlyMap<number, number>;
  /** Variables the function gets besides the process's own (the Kafka flags). */
  readonly environment: Readonly<Record<string, string>>;
  readonly functionLogs: boolean;
  readonly log: (line: string) => void;
}

export interface LocalMapping {
  /** Stops polling after the invocation in progress and commits what is done. */
  stop(): Promise<RunResult>;
}

export async function startLocalMapping(options: LocalMappingOptions): Promise<LocalMapping> {
  // Read by the bundle's INIT: the canary pipeline, only the canary topic mapped, quiet unless asked.
  Object.assign(process.env, {
    ...options.environment,
    CANARY_TOPIC: options.topic,
    SOURCE_TOPICS: options.topic,
    POWERTOOLS_METRICS_DISABLED: "true",
    ...(options.functionLogs ? {} : { POWERTOOLS_LOG_LEVEL: "SILENT" }),
  });
  const handler = await loadHandler(await bundleHandler(PROCESSOR));
  const { config } = options;
  const settings = resolveMappingSettings({
    topics: [options.topic],
    groupId: `canary-${options.runId}`,
    // The construct's defaults (infra/constructs/defaults.ts).
    batchSize: 100,
    batchingWindowMs: 1_000,
    retryAttempts: 5,
    bisectBatchOnError: true,
    onFailure: `s3://${config.archive.bucket}`,
    timeoutS: 60,
    itemIdentifierKey: options.itemIdentifierKey,
    functionName: LOCAL_FUNCTION_NAME,
  });
  const emulator = new EventSourceMappingEmulator({
    handler,
    connection: {
      brokers: config.kafka.brokers,
      ssl: config.kafka.ssl,
      sasl: undefined,
      clientId: "canary-emulator",
    },
    settings,
    s3: s3ClientConfig(config),
    initialOffsets: [...options.startOffsets].map(([partition, offset]) => ({
      topic: options.topic,
      partition,
      offset,
    })),
    logger: emulatorLog(options),
  });
  const running = emulator.run();
  // A crash before stop() is reported when the run is stopped, not as an unhandled rejection.
  running.catch(() => undefined);
  return {
    stop: async () => {
      emulator.stop();
      return running;
    },
  };
}

/** The emulator's warnings (a whole batch failing, say) explain a failed check; its info is noise. */
function emulatorLog(options: LocalMappingOptions): EmulatorLogger {
  const line = (level: string, message: string, attributes: Record<string, unknown> = {}) => {
    const fields = Object.entries(attributes)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${typeof value === "string" ? JSON.stringify(value) : String(value)}`);
    options.log([`[emulator] ${level}: ${message}`, ...fields].join(" "));
  };
  return {
    info: (message, attributes) => {
      if (options.functionLogs) line("info", message, attributes);
    },
    warn: (message, attributes) => line("warn", message, attributes),
    error: (message, attributes) => line("error", message, attributes),
  };
}
