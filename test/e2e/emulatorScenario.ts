import { fileURLToPath } from "node:url";
import { S3Client } from "@aws-sdk/client-s3";
import { type Admin, Kafka } from "kafkajs";
import { bundleHandler } from "../../emulator/bundleHandler";
import {
  EventSourceMappingEmulator,
  type EventSourceMappingEmulatorOptions,
  type RunLimits,
  type RunResult,
  type SandboxOptions,
} from "../../emulator/EventSourceMappingEmulator";
import { silentEmulatorLogger } from "../../emulator/logger";
import { locateRecords, type Placement, sourceId } from "../../emulator/reconcile/locateRecords";
import { type Reconciliation, reconcile } from "../../emulator/reconcile/reconcile";
import { type ProducedSample, produceSamples } from "../../emulator/samples/produceSamples";
import { type SampleRecord, sampleStream } from "../../emulator/samples/sampleStream";
import type { SandboxFaults } from "../../emulator/sandbox/SandboxPool";
import { type MappingSettingsInput, resolveMappingSettings } from "../../emulator/settings";
import type { KafkaLambdaHandler } from "../../emulator/types";
import { loadConfig } from "../../functions/lib/config";
import { definePipeline } from "../../functions/lib/core/pipeline";
import { silentLogger } from "../../functions/lib/core/ports";
import { createProcessor, s3ClientConfig } from "../../functions/lib/lambda/createProcessor";
import { withKafkaBatchProcessing } from "../../functions/lib/lambda/withKafkaBatchProcessing";
import { employeeSchema } from "../../functions/processor/pipelines";
import { localKafkaConfig, localS3ClientConfig } from "../../stack/clients";
import { ensureTopics } from "../../stack/provision";
import { DEFAULT_PARTITIONS, topicSpec } from "../../stack/topology";
import { uniqueName } from "../support/names";

export const BUCKET = loadConfig().archive.bucket;

/**
 * How the scenarios run the function: in the sandbox (default), as Lambda would, or in process
 * (`E2E_EMULATOR_MODE=in-process`), to tell a sandbox problem from a pipeline problem.
 */
export const EMULATOR_MODE = process.env.E2E_EMULATOR_MODE === "in-process" ? "in-process" : "sandbox";

export interface ScenarioFunction {
  /** The function's own variables. */
  readonly env?: Record<string, string>;
  /** Any batch holding a record with this key throws. */
  readonly poisonKey?: string;
  /** Each invocation waits this long before processing. */
  readonly delayMs?: number;
  /** Sandbox fault hooks (ignored in process). */
  readonly faults?: SandboxFaults;
  /** Overrides `E2E_EMULATOR_MODE` (a test of the sandbox itself). */
  readonly mode?: "sandbox" | "in-process";
}

export type FunctionUnderTest = { handler: KafkaLambdaHandler } | { sandbox: SandboxOptions };

const SCENARIO_HANDLER = fileURLToPath(new URL("./handlers/scenarioHandler.ts", import.meta.url));
let bundled: Promise<string> | undefined;

/** The scenario handler bundled as `NodejsFunction` bundles (once per test file). */
function scenarioBundle(): Promise<string> {
  bundled ??= bundleHandler(SCENARIO_HANDLER);
  return bundled;
}

/**
 * One employee pipeline on topics of its own, run by the emulator through the real processor and
 * its real producer and S3 archive, then reconciled by reading every sink back.
 */
export class EmulatorScenario {
  readonly kafka = new Kafka(localKafkaConfig({ clientId: "e2e-emulator" }));
  readonly admin: Admin = this.kafka.admin();
  readonly s3 = new S3Client(localS3ClientConfig());
  readonly topics: { source: string; target: string; dlq: string; onFailure: string };
  readonly onFailurePrefix: string;
  private produced: ProducedSample[] = [];
  private closers: (() => Promise<void>)[] = [];

  constructor(name: string) {
    const source = uniqueName("e2e.emu", name);
    this.topics = { source, target: `${source}.out`, dlq: `${source}.dlq`, onFailure: `${source}.failed` };
    this.onFailurePrefix = `e2e-on-failure/${source}`;
  }

  async createTopics(): Promise<void> {
    await this.admin.connect();
    await ensureTopics(
      this.admin,
      Object.values(this.topics).map((t) => topicSpec(t)),
    );
  }

  /**
   * The scenario's function: the real processor for this scenario's topics, run in the emulator's
   * sandbox from the bundle the construct would deploy (or, with `E2E_EMULATOR_MODE=in-process`,
   * built in this process from the sources).
   */
  async function(fn: ScenarioFunction = {}): Promise<FunctionUnderTest> {
    const environment: Record<string, string> = {
      DEADLINE_SAFETY_MS: "1000",
      ...(fn.env ?? {}),
      SCENARIO_SOURCE_TOPIC: this.topics.source,
      SCENARIO_TARGET_TOPIC: this.topics.target,
      SCENARIO_DLQ_TOPIC: this.topics.dlq,
      ...(fn.poisonKey === undefined ? {} : { SCENARIO_POISON_KEY: fn.poisonKey }),
      ...(fn.delayMs === undefined ? {} : { SCENARIO_DELAY_MS: String(fn.delayMs) }),
    };
    if ((fn.mode ?? EMULATOR_MODE) === "sandbox") {
      return {
        sandbox: {
          module: await scenarioBundle(),
          environment,
          functionLog: process.env.E2E_VERBOSE === "1" ? (line) => console.log(line) : () => undefined,
          ...(fn.faults === undefined ? {} : { faults: fn.faults }),
        },
      };
    }
    return { handler: this.inProcessHandler(environment, fn) };
  }

  private inProcessHandler(environment: Record<string, string>, fn: ScenarioFunction): KafkaLambdaHandler {
    const config = loadConfig({ ...process.env, ...environment });
    const pipeline = definePipeline({
      sourceTopic: this.topics.source,
      targetTopic: this.topics.target,
      dlqTopic: this.topics.dlq,
      schema: employeeSchema,
      transform: (employee) => ({ ...employee, "Employee-Number": `EMP-${employee["Employee-Number"]}` }),
    });
    const parts = createProcessor(config, [pipeline], silentLogger);
    this.closers.push(async () => {
      await parts.sink.disconnect();
      parts.destroyClients();
    });
    const inner = withKafkaBatchProcessing({ processor: parts.processor }) as KafkaLambdaHandler;
    const poison = fn.poisonKey === undefined ? undefined : Buffer.from(fn.poisonKey).toString("base64");
    return async (event, context) => {
      if (
        poison !== undefined &&
        Object.values(event.records)
          .flat()
          .some((r) => r.key === poison)
      ) {
        throw new Error("cannot handle the poison employee");
      }
      if (fn.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, fn.delayMs));
      return inner(event, context);
    };
  }

  async produce(
    options: { seed: number; count: number; badShare?: number },
    extra: readonly SampleRecord[] = [],
  ) {
    const samples = [...sampleStream({ ...options, streams: ["employees"] }), ...extra];
    const producer = this.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      this.produced.push(
        ...(await produceSamples(producer, this.topics.source, samples, DEFAULT_PARTITIONS)),
      );
    } finally {
      await producer.disconnect();
    }
    return this.produced;
  }

  emulator(
    fn: FunctionUnderTest,
    settings: Omit<MappingSettingsInput, "topics">,
    options: Partial<Pick<EventSourceMappingEmulatorOptions, "onProgress" | "onFailureDestination">> = {},
  ): EventSourceMappingEmulator {
    return new EventSourceMappingEmulator({
      ...fn,
      connection: {
        brokers: loadConfig().kafka.brokers,
        ssl: false,
        sasl: undefined,
        clientId: "e2e-emulator",
      },
      settings: resolveMappingSettings({
        topics: [this.topics.source],
        groupId: `${this.topics.source}.group`,
        batchingWindowMs: 100,
        retryBackoffMs: 20,
        ...settings,
      }),
      s3: s3ClientConfig(loadConfig()),
      logger: process.env.E2E_VERBOSE === "1" ? undefined : silentEmulatorLogger,
      ...options,
    });
  }

  /** Runs until idle, and in any case stops by itself well inside the test timeout. */
  async run(
    emulator: EventSourceMappingEmulator,
    limits: RunLimits = { untilIdleMs: 1_500 },
  ): Promise<RunResult> {
    return emulator.run({ signal: AbortSignal.timeout(90_000), ...limits });
  }

  /** Reads target, DLQ and on-failure destination back and accounts for every produced record. */
  async reconcile(onFailure: "s3" | "kafka"): Promise<Reconciliation & { placements: Placement[] }> {
    const placements = await locateRecords(this.kafka, {
      targets: [{ topic: this.topics.target }],
      deadLetters: [{ topic: this.topics.dlq }],
      onFailure:
        onFailure === "s3"
          ? { type: "s3", client: this.s3, bucket: BUCKET, prefix: `${this.onFailurePrefix}/` }
          : { type: "kafka", topic: this.topics.onFailure },
    });
    const ids = this.produced.map((p) => sourceId(p.topic, p.partition, p.offset));
    return { ...reconcile(ids, placements), placements };
  }

  idOf(produced: ProducedSample): string {
    return sourceId(produced.topic, produced.partition, produced.offset);
  }

  async cleanup(): Promise<void> {
    for (const close of this.closers) await close().catch(() => undefined);
    await this.admin.deleteTopics({ topics: Object.values(this.topics) }).catch(() => undefined);
    await this.admin.disconnect();
    this.s3.destroy();
  }
}
