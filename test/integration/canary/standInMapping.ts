/**
 * A mapping the canary does not run itself, standing in for AWS's: the bundled processor with the
 * canary pipeline on `argv[2]`, under the emulator (its library API), until SIGINT. Run as a child
 * process so the function's variables (CANARY_TOPIC, ...) stay out of the test worker.
 */
import {
  bundleHandler,
  EventSourceMappingEmulator,
  loadHandler,
  resolveMappingSettings,
} from "../../../emulator/index";
import { loadConfig } from "../../../functions/lib/config";

const topic = process.argv[2] ?? "";
Object.assign(process.env, {
  CANARY_TOPIC: topic,
  SOURCE_TOPICS: topic,
  POWERTOOLS_LOG_LEVEL: "SILENT",
  POWERTOOLS_METRICS_DISABLED: "true",
});
const config = loadConfig();
const handler = await loadHandler(await bundleHandler("functions/processor/handler.ts"));
const emulator = new EventSourceMappingEmulator({
  handler,
  connection: { brokers: config.kafka.brokers, ssl: false, sasl: undefined, clientId: "it-canary-stand-in" },
  settings: resolveMappingSettings({
    topics: [topic],
    batchingWindowMs: 1_000,
    retryAttempts: 5,
    bisectBatchOnError: true,
    functionName: "kafka-processor",
  }),
});
process.on("SIGINT", () => emulator.stop());
await emulator.run();
process.exit(0);
