/**
 * `npm run canary`: proves a deployed pipeline (or the local stack) end to end with three marked
 * records, prints one PASS/FAIL line per check on stdout, removes what the run created, and exits
 * 0 (all pass), 1 (a check failed or the run could not complete) or 2 (bad input): one line on
 * stderr for any error, never a stack trace.
 */
import { randomBytes } from "node:crypto";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import type { Admin, Kafka } from "kafkajs";
import { createKafka } from "../../functions/lib/adapters/kafkaClient";
import { ConfigError } from "../../functions/lib/core/errors";
import { silentLogger } from "../../functions/lib/core/ports";
import { dynamoClientConfig, s3ClientConfig } from "../../functions/lib/lambda/createProcessor";
import type { CliIo } from "../dlq/io";
import { endOffsets, ensureCanaryTopics, produceCanaryRecords } from "./canaryTopicsIo";
import { evaluateCanary } from "./checks";
import { cleanUp, planCleanup } from "./cleanup";
import { type CanaryCommand, parseCanaryCommandLine } from "./commandLine";
import { type CanaryDeployment, deploymentFromOutputs, localDeployment } from "./deployment";
import { CANARY_EXIT_CODES, type CanaryExitCode, CanarySetupError, CanaryUsageError } from "./errors";
import { type LocalMapping, startLocalMapping } from "./localMapping";
import { type CanaryStores, readDeliveries } from "./sinkReaders";
import { describeStackOutputs, readOutputsFile } from "./stackOutputs";
import { TopicWatcher } from "./TopicWatcher";
import { CANARY_USAGE } from "./usage";
import { waitForPipeline } from "./waitForPipeline";

/**
 * @example
 * process.exitCode = await runCanary(["--stack", "KafkaLambdaPipeline"], processIo());
 */
export async function runCanary(argv: readonly string[], io: CliIo): Promise<CanaryExitCode> {
  try {
    const line = parseCanaryCommandLine(argv);
    if (line.help) {
      io.out(CANARY_USAGE);
      return CANARY_EXIT_CODES.pass;
    }
    return await prove(await resolveDeployment(line, io.env), line, io);
  } catch (error) {
    io.err(`canary: ${oneLine(error)}`);
    return error instanceof CanaryUsageError || error instanceof ConfigError
      ? CANARY_EXIT_CODES.badInput
      : CANARY_EXIT_CODES.fail;
  }
}

async function resolveDeployment(
  command: CanaryCommand,
  env: Readonly<Record<string, string | undefined>>,
): Promise<CanaryDeployment> {
  const { source } = command;
  if (source.kind === "local") return localDeployment(command, env, source.topic);
  const explicit = command.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (source.kind === "outputs") {
    const stack = readOutputsFile(source.file, source.stack);
    const region = explicit ?? stack.outputs.Region;
    if (region === undefined) throw new CanaryUsageError("no AWS region: pass --region or set AWS_REGION");
    return deploymentFromOutputs(stack, command, env, region);
  }
  const client = new CloudFormationClient(explicit === undefined ? {} : { region: explicit });
  try {
    const region = explicit ?? (await client.config.region().catch(() => undefined));
    if (region === undefined) throw new CanaryUsageError("no AWS region: pass --region or set AWS_REGION");
    const stack = await describeStackOutputs(client, source.stack);
    return deploymentFromOutputs(stack, command, env, explicit ?? stack.outputs.Region ?? region);
  } finally {
    client.destroy();
  }
}

async function prove(
  deployment: CanaryDeployment,
  command: CanaryCommand,
  io: CliIo,
): Promise<CanaryExitCode> {
  const { config, topics } = deployment;
  const runId = `c-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
  const stores: CanaryStores = {
    dynamodb: new DynamoDBClient(dynamoClientConfig(config)),
    s3: new S3Client(s3ClientConfig(config)),
    deadLetterTable: config.tables.deadLetters,
    attemptsTable: config.tables.attempts,
  };
  let kafka: Kafka | undefined;
  let admin: Admin | undefined;
  let watcher: TopicWatcher | undefined;
  let mapping: LocalMapping | undefined;
  try {
    await preflightTables(stores, runId, deployment);
    kafka = await createKafka(config.kafka, config.aws, silentLogger);
    admin = kafka.admin();
    await admin.connect();
    await ensureCanaryTopics(admin, topics, deployment.local);
    const sourceFrom = await endOffsets(admin, topics.source);
    watcher = new TopicWatcher(
      kafka,
      runId,
      new Map([
        [topics.target, await endOffsets(admin, topics.target)],
        [topics.dlq, await endOffsets(admin, topics.dlq)],
      ]),
    );
    await watcher.start();
    if (deployment.local) {
      mapping = await startLocalMapping({
        config,
        topic: topics.source,
        runId,
        itemIdentifierKey: command.itemIdentifierKey ?? config.processing.failureKeyName,
        startOffsets: sourceFrom,
        environment: command.kafkaVariables,
        functionLogs: command.functionLogs,
        log: io.err,
      });
    }

    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const produced = await produceCanaryRecords(producer, topics.source, runId, io.now()).finally(() =>
      producer.disconnect(),
    );
    io.err(
      `canary ${runId}: produced good, transient-once and invalid to ${topics.source} partition 0 ` +
        `(offsets ${produced.good.offset}-${produced.invalid.offset}); checking ${deployment.label}`,
    );

    const observation = await waitForPipeline({
      runId,
      topics,
      produced,
      watcher,
      stores,
      archiveBucket: config.archive.bucket,
      waitMs: command.waitMs,
      settleMs: deployment.local ? 1_500 : 5_000,
      pollMs: deployment.local ? 250 : 1_000,
      io,
    });
    // Nothing may redeliver (and count) while the run's traces are removed.
    await mapping?.stop();
    mapping = undefined;

    const checks = evaluateCanary(observation, {
      failureKeyName: config.processing.failureKeyName,
      functionName: deployment.functionName,
    });
    for (const check of checks) io.out(`${check.pass ? "PASS" : "FAIL"} ${check.name}: ${check.detail}`);
    const passed = checks.filter((c) => c.pass).length;

    const plan = planCleanup(observation);
    if (command.keep) {
      io.err(
        `canary: kept (--keep) ${[...plan.indexIds.map((id) => `DL#${id}`), ...plan.archiveKeys, ...plan.attemptsKeys].join(", ")}`,
      );
    } else {
      const report = await cleanUp(plan, stores, {
        bucket: config.archive.bucket,
        canaryTopic: topics.source,
      });
      io.err(
        `canary: removed ${report.removed.length} item(s) the run created` +
          (report.kept.length > 0 ? `; kept ${report.kept.join(", ")}` : "") +
          "; its Kafka records stay until the topics' retention removes them",
      );
      for (const failure of report.failed) io.err(`canary: could not remove ${failure}`);
    }
    io.out(
      `canary ${runId}: ${passed} of ${checks.length} checks passed against ${deployment.label} ` +
        `in ${(observation.waitedMs / 1000).toFixed(1)} s`,
    );
    return passed === checks.length ? CANARY_EXIT_CODES.pass : CANARY_EXIT_CODES.fail;
  } finally {
    await mapping?.stop().catch(() => undefined);
    await watcher?.stop();
    await admin?.disconnect().catch(() => undefined);
    stores.dynamodb.destroy();
    stores.s3.destroy();
  }
}

/** Fails before anything is produced when the tables cannot be read (missing, or no permission). */
async function preflightTables(
  stores: CanaryStores,
  runId: string,
  deployment: CanaryDeployment,
): Promise<void> {
  try {
    await readDeliveries(stores, runId);
  } catch (error) {
    const e = error as { name?: string; message?: string };
    const hint = deployment.local ? " (is the local stack up? npm run stack:up)" : "";
    throw new CanarySetupError(
      `cannot read the attempts table ${stores.attemptsTable}${hint}: ${e.name ?? "Error"}: ${e.message ?? String(error)}`,
    );
  }
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, " ").trim() || (error instanceof Error ? error.name : "unknown error");
}
