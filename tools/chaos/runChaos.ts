/**
 * One chaos run: fresh topics, a seeded record mix produced while the emulator runs the bundled
 * processor in Lambda-like sandboxes, one to three faults at seeded moments, then a reconciliation
 * of every record. Only 127.0.0.1; bounded in time; heals what it broke before it returns.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { type Admin, Kafka } from "kafkajs";
import { consumerLag } from "../../emulator/consumerLag";
import { EventSourceMappingEmulator } from "../../emulator/EventSourceMappingEmulator";
import type { EmulatorStats, RuntimeStats } from "../../emulator/emulatorStats";
import { TcpOutageProxy } from "../../emulator/faults/TcpOutageProxy";
import { silentEmulatorLogger } from "../../emulator/logger";
import { mulberry32 } from "../../emulator/samples/sampleStream";
import type { FaultContext } from "../../emulator/sandbox/SandboxPool";
import { resolveMappingSettings } from "../../emulator/settings";
import { loadConfig } from "../../functions/lib/config";
import { dynamoClientConfig, s3ClientConfig } from "../../functions/lib/lambda/createProcessor";
import { localKafkaConfig } from "../../stack/clients";
import {
  brokers,
  healCluster,
  killBroker,
  moveLeadership,
  pauseBroker,
  restartBroker,
  resumeBroker,
} from "../../stack/cluster";
import { ensureTopics } from "../../stack/provision";
import { topicSpec } from "../../stack/topology";
import { chaosRecords } from "./chaosRecords";
import { describeFault, FAULT_KINDS, type FaultKind, type PlannedFault, planFaults } from "./faultPlan";
import { produceChaosRecords } from "./produceChaosRecords";
import { type Verification, verifyRun } from "./verifyRun";

export interface ChaosRunOptions {
  readonly seed: number;
  readonly records: number;
  readonly brokers: number;
  readonly faults: readonly FaultKind[];
  /** The bundle of tools/chaos/chaosHandler.ts. */
  readonly bundle: string;
  readonly log?: (line: string) => void;
}

export interface ChaosRunResult {
  readonly seed: number;
  readonly faults: readonly string[];
  readonly verification: Verification;
  readonly invocations: number;
  readonly timeouts: number;
  readonly runtime: RuntimeStats;
  readonly durationMs: number;
  /** Faults that could not be injected (and why): the run then proves less than planned. */
  readonly injectionErrors: readonly string[];
  /** Why the emulator stopped and a new one took over (as Lambda's pollers would keep polling). */
  readonly mappingRestarts: readonly string[];
}

/** CHAOS_VERBOSE=1 shows the emulator's log and the function's START/END/REPORT lines and logs. */
const VERBOSE = process.env.CHAOS_VERBOSE === "1";
const PARTITIONS = 3;
const TIMEOUT_S = 8;
const MEMORY_MB = 512;
const KAFKA_REQUEST_TIMEOUT_MS = 3_000;

export async function runChaos(options: ChaosRunOptions): Promise<ChaosRunResult> {
  const started = Date.now();
  const random = mulberry32(options.seed);
  const config = loadConfig();
  const source = `chaos.${options.seed}.${Date.now().toString(36)}`;
  const topics = { source, target: `${source}.out`, dlq: `${source}.dlq` };
  const onFailurePrefix = `chaos-on-failure/${source}`;
  const group = `${source}.group`;
  const kafka = new Kafka({
    ...localKafkaConfig({ clientId: "chaos" }),
    retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 3_000 },
  });
  const admin = kafka.admin();
  const s3 = new S3Client(s3ClientConfig(config));
  const dynamodb = new DynamoDBClient(dynamoClientConfig(config));
  const s3Url = new URL(config.aws.s3Endpoint ?? "http://127.0.0.1:9000");
  const ddbUrl = new URL(config.aws.dynamodbEndpoint ?? "http://127.0.0.1:8000");
  const s3Proxy = new TcpOutageProxy({ targetHost: s3Url.hostname, targetPort: Number(s3Url.port) });
  const ddbProxy = new TcpOutageProxy({ targetHost: ddbUrl.hostname, targetPort: Number(ddbUrl.port) });
  const injectionErrors: string[] = [];

  const records = chaosRecords(options.seed, options.records);
  const windowMs = Math.min(30_000, Math.max(6_000, options.records * 4));
  const plan = planFaults(random, { kinds: options.faults, brokers: options.brokers, windowMs });
  const sandboxFault = (kind: FaultKind) => plan.find((f) => f.kind === kind);

  await admin.connect();
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false });
  try {
    await ensureTopics(
      admin,
      Object.values(topics).map((t) => topicSpec(t, { numPartitions: PARTITIONS })),
    );
    await untilEveryBrokerKnows(config.kafka.brokers, Object.values(topics));
    const environment = {
      CHAOS_SOURCE_TOPIC: source,
      KAFKA_BROKERS: config.kafka.brokers.join(","),
      KAFKA_REQUEST_TIMEOUT_MS: String(KAFKA_REQUEST_TIMEOUT_MS),
      S3_ENDPOINT: await s3Proxy.start(),
      DYNAMODB_ENDPOINT: await ddbProxy.start(),
      AWS_SDK_CONNECT_TIMEOUT_MS: "1000",
      AWS_SDK_REQUEST_TIMEOUT_MS: "3000",
      DEADLINE_SAFETY_MS: "1500",
      POWERTOOLS_LOG_LEVEL: VERBOSE ? "WARN" : "SILENT",
      POWERTOOLS_METRICS_DISABLED: "true",
    };
    // Sandbox faults hit the n-th invocation after the fault's moment.
    let firstAfter = new Map<FaultKind, number>();
    const atInvocation = (kind: FaultKind, i: FaultContext) => {
      const fault = sandboxFault(kind);
      if (fault === undefined || Date.now() - started < fault.atMs) return false;
      const first = firstAfter.get(kind) ?? i.sequence;
      firstAfter = new Map(firstAfter).set(kind, first);
      return i.sequence === first + fault.invocation - 1;
    };
    const makeEmulator = () =>
      new EventSourceMappingEmulator({
        sandbox: {
          module: options.bundle,
          environment,
          functionLog: VERBOSE ? (line) => console.error(`[function] ${line}`) : () => undefined,
          faults: {
            holdResponseMs: (i) =>
              atInvocation(FAULT_KINDS.slowHandler, i) ? (TIMEOUT_S + 2) * 1_000 : undefined,
            memorySpikeMb: (i) => (atInvocation(FAULT_KINDS.memorySpike, i) ? MEMORY_MB + 200 : undefined),
          },
        },
        connection: {
          brokers: config.kafka.brokers,
          ssl: false,
          sasl: undefined,
          clientId: "chaos-emulator",
        },
        settings: resolveMappingSettings({
          topics: [source],
          groupId: group,
          batchSize: 100,
          batchingWindowMs: 200,
          retryAttempts: 10,
          bisectBatchOnError: true,
          onFailure: `s3://${config.archive.bucket}/${onFailurePrefix}`,
          timeoutS: TIMEOUT_S,
          memorySizeMb: MEMORY_MB,
          concurrency: PARTITIONS,
          retryBackoffMs: 50,
        }),
        s3: s3ClientConfig(config),
        logger: VERBOSE ? undefined : silentEmulatorLogger,
      });

    await producer.connect();
    const emulatorStarted = Date.now();
    let emulator = makeEmulator();
    let producingDone = false;
    const mappingRestarts: string[] = [];
    // The mapping runs until the stream is drained. When the emulator stops on an error (a broker
    // that has not heard of the new topic yet answers UNKNOWN_TOPIC_OR_PARTITION), a new one takes
    // over from the committed offsets, as Lambda's pollers keep polling; its records are not lost.
    const runMapping = async (): Promise<EmulatorStats[]> => {
      const stats: EmulatorStats[] = [];
      const deadline = AbortSignal.timeout(300_000);
      for (;;) {
        try {
          stats.push((await emulator.run({ signal: deadline, untilIdleMs: 4_000 })).stats);
          if (deadline.aborted) return stats;
          if (producingDone) {
            // Idle is not drained: a consumer that lost its partitions in a rebalance fetches
            // nothing for a while. Done only when the group has committed everything produced.
            const lag = await groupLag(admin, group, source);
            if (lag === 0) return stats;
            if (mappingRestarts.length >= 10) return stats;
            mappingRestarts.push(`idle with ${lag} records not committed`);
          }
        } catch (error) {
          if (mappingRestarts.length >= 10 || deadline.aborted) throw error;
          mappingRestarts.push((error as Error).message.split("\n")[0] ?? "");
          await sleep(1_000);
        }
        emulator = makeEmulator();
      }
    };
    // Settled into a value at once: a run that fails while records are still being produced must be
    // reported, not crash the campaign as an unhandled rejection.
    const running = runMapping().then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    const producing = produceChaosRecords(producer, source, records, {
      partitions: PARTITIONS,
      windowMs,
    }).finally(() => {
      producingDone = true;
    });
    const injecting = Promise.all(
      plan.map(async (fault) => {
        await sleep(Math.max(0, emulatorStarted + fault.atMs - Date.now()));
        try {
          await inject(fault, { s3Proxy, ddbProxy, emulator: () => emulator, random, source });
        } catch (error) {
          injectionErrors.push(`${describeFault(fault)}: ${(error as Error).message.split("\n")[0]}`);
        }
      }),
    );
    await Promise.all([producing, injecting]);
    const outcome = await running;
    if ("error" in outcome) throw new Error(`the emulator stopped: ${(outcome.error as Error).message}`);
    const result = combine(outcome.value);
    return {
      seed: options.seed,
      faults: plan.map(describeFault),
      verification: await verifyRun(records, await committedOffsets(admin, group, source), {
        kafka,
        s3,
        dynamodb,
        bucket: config.archive.bucket,
        table: config.tables.deadLetters,
        topics,
        onFailurePrefix,
      }),
      invocations: result.invocations,
      timeouts: result.timeouts,
      runtime: result.runtime,
      durationMs: Date.now() - started,
      injectionErrors,
      mappingRestarts,
    };
  } finally {
    await s3Proxy.restore().catch(() => undefined);
    await ddbProxy.restore().catch(() => undefined);
    if (options.brokers > 1) await healCluster().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await s3Proxy.close().catch(() => undefined);
    await ddbProxy.close().catch(() => undefined);
    s3.destroy();
    dynamodb.destroy();
  }
}

interface Injection {
  readonly s3Proxy: TcpOutageProxy;
  readonly ddbProxy: TcpOutageProxy;
  readonly emulator: () => EventSourceMappingEmulator;
  readonly random: () => number;
  readonly source: string;
}

async function inject(fault: PlannedFault, on: Injection): Promise<void> {
  const node = async () => {
    const nodes = await brokers();
    return (nodes[fault.target % nodes.length] ?? nodes[0])?.nodeId as number;
  };
  switch (fault.kind) {
    case FAULT_KINDS.brokerKill: {
      const id = await node();
      await killBroker(id);
      await sleep(fault.durationMs);
      await restartBroker(id);
      return;
    }
    case FAULT_KINDS.brokerPause: {
      const id = await node();
      await pauseBroker(id);
      // Longer than the function's and the emulator's request timeouts.
      await sleep(Math.max(fault.durationMs, KAFKA_REQUEST_TIMEOUT_MS + 1_500));
      await resumeBroker(id);
      return;
    }
    case FAULT_KINDS.leaderChange:
      await moveLeadership(on.source, fault.target % PARTITIONS);
      return;
    case FAULT_KINDS.s3Outage:
      await on.s3Proxy.cutOff();
      await sleep(fault.durationMs);
      await on.s3Proxy.restore();
      return;
    case FAULT_KINDS.dynamodbOutage:
      await on.ddbProxy.cutOff();
      await sleep(fault.durationMs);
      await on.ddbProxy.restore();
      return;
    case FAULT_KINDS.sandboxKill: {
      // Retry for a moment: the kill must land in the middle of an invocation.
      for (let i = 0; i < 50; i += 1) {
        if (on.emulator().sandboxes?.killAny(on.random)) return;
        await sleep(100);
      }
      throw new Error("no invocation was running to kill");
    }
    case FAULT_KINDS.slowHandler:
    case FAULT_KINDS.memorySpike:
      return; // carried out by the sandbox's hooks on the planned invocation
  }
}

async function groupLag(admin: Admin, group: string, topic: string): Promise<number> {
  return (await consumerLag(admin, group, [topic])).reduce((sum, p) => sum + p.lag, 0);
}

/** Per partition, the first offset the mapping has not acknowledged (committed). */
async function committedOffsets(admin: Admin, group: string, topic: string): Promise<Map<number, number>> {
  return new Map((await consumerLag(admin, group, [topic])).map((p) => [p.partition, p.committed ?? 0]));
}

/** One run's figures over every emulator that ran its mapping. */
function combine(stats: readonly EmulatorStats[]): {
  invocations: number;
  timeouts: number;
  runtime: RuntimeStats;
} {
  const sum = (f: (s: EmulatorStats) => number) => stats.reduce((total, s) => total + f(s), 0);
  const last = stats[stats.length - 1] as EmulatorStats;
  return {
    invocations: sum((s) => s.invocations),
    timeouts: sum((s) => s.timeouts),
    runtime: {
      ...last.runtime,
      coldStarts: sum((s) => s.runtime.coldStarts),
      timeouts: sum((s) => s.runtime.timeouts),
      outOfMemory: sum((s) => s.runtime.outOfMemory),
      runtimeExits: sum((s) => s.runtime.runtimeExits),
      injectedKills: sum((s) => s.runtime.injectedKills),
      maxMemoryUsedMb: Math.max(...stats.map((s) => s.runtime.maxMemoryUsedMb)),
    },
  };
}

/**
 * A new topic reaches each broker's metadata at its own pace; a consumer that asks a broker which
 * has not heard of it yet fails at once (UNKNOWN_TOPIC_OR_PARTITION). Wait until every broker knows.
 */
async function untilEveryBrokerKnows(addresses: readonly string[], topics: readonly string[]): Promise<void> {
  for (const address of addresses) {
    const admin = new Kafka({
      ...localKafkaConfig({ clientId: "chaos-metadata" }),
      brokers: [address],
    }).admin();
    await admin.connect();
    try {
      for (let attempt = 0; attempt < 100; attempt += 1) {
        const known = await admin
          .fetchTopicMetadata({ topics: [...topics] })
          .then((m) =>
            m.topics.every(
              (t) => t.partitions.length === PARTITIONS && t.partitions.every((p) => p.leader >= 0),
            ),
          )
          .catch(() => false);
        if (known) break;
        await sleep(100);
      }
    } finally {
      await admin.disconnect();
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
