/**
 * `npm run canary -- --local` against the real local stack: the bundled processor under the mapping
 * emulator on a canary topic of its own, Kafka, DynamoDB Local and S3Proxy, no mocks. The same command
 * a deployer runs against AWS, so these runs are the canary's own proof: it passes on a healthy
 * pipeline, fails on a mapping that does not read the function's item identifier key, and removes what
 * it created either way.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { type Admin, Kafka } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deadLetterKey } from "../../../functions/lib/adapters/DynamoDeadLetterIndex";
import { indexedSetsOf } from "../../../functions/lib/adapters/indexedSets";
import { canaryMarkerKey, canaryTopics } from "../../../functions/lib/canary/canaryRecord";
import { loadConfig } from "../../../functions/lib/config";
import { localDynamoDbClientConfig, localKafkaConfig, localS3ClientConfig } from "../../../stack/clients";
import { ensureTopics } from "../../../stack/provision";
import { uniqueName } from "../../support/names";

const CLI = fileURLToPath(new URL("../../../tools/canary/cli.ts", import.meta.url));
const STAND_IN_MAPPING = fileURLToPath(new URL("./standInMapping.ts", import.meta.url));
const config = loadConfig();

interface CanaryRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly lines: readonly string[];
  readonly runId: string;
}

/** Runs the real command as a deployer would (`npm run canary -- ...` is `tsx tools/canary/cli.ts ...`). */
function canary(args: string[], env: Record<string, string> = {}): Promise<CanaryRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
      env: { ...process.env, NODE_OPTIONS: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({
        code,
        stdout,
        stderr,
        lines: stdout.split("\n").filter((line) => /^(PASS|FAIL) /.test(line)),
        runId: /canary (c-[a-z0-9]+-[a-f0-9]+):/.exec(stdout)?.[1] ?? "",
      }),
    );
  });
}

/** The run's own error lines on stderr (progress lines and the clean-up report are not errors). */
function runErrors(run: CanaryRun): string[] {
  return run.stderr.split("\n").filter((line) => /^canary: (?!waiting|removed)/.test(line));
}

/** The bundled processor under the emulator in a process of its own: a mapping the canary does not own. */
function emulate(topic: string): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", STAND_IN_MAPPING, topic], {
    env: { ...process.env, NODE_OPTIONS: "" },
    stdio: "ignore",
  });
}

/** Ctrl-C: the emulator commits what is done and exits. */
function stopEmulator(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.on("close", () => resolve());
    child.kill("SIGINT");
  });
}

describe("npm run canary", () => {
  const kafka = new Kafka(localKafkaConfig({ clientId: "it-canary" }));
  const dynamodb = new DynamoDBClient(localDynamoDbClientConfig());
  const s3 = new S3Client(localS3ClientConfig());
  const created: string[] = [];
  let admin: Admin;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: created }).catch(() => undefined);
    await admin.disconnect();
    dynamodb.destroy();
    s3.destroy();
  });

  /** What the run must have removed: its delivery counts, the dead letter's index item and archive object. */
  async function expectCleanedUp(run: CanaryRun, topic: string): Promise<void> {
    const archived = /s3:\/\/[^/]+\/(\S+), envelope (\S+)$/.exec(run.lines[2] ?? "");
    const [, key = "", id = ""] = archived ?? [];
    expect(id).toMatch(new RegExp(`^${topic.replaceAll(".", "\\.")}:0:\\d+@[0-9a-f]{10}$`));

    const marker = await dynamodb.send(
      new GetItemCommand({
        TableName: config.tables.attempts,
        Key: { pk: { S: canaryMarkerKey(run.runId) } },
      }),
    );
    const indexItem = await dynamodb.send(
      new GetItemCommand({ TableName: config.tables.deadLetters, Key: deadLetterKey(id) }),
    );
    // The one letter of the object was indexed as one set; its marker must go with its item.
    const [set] = indexedSetsOf([{ id, archiveKey: key, archiveLine: 0 }]);
    const setMarker = await dynamodb.send(
      new GetItemCommand({ TableName: config.tables.deadLetters, Key: set?.key }),
    );

    expect(marker.Item).toBeUndefined();
    expect(indexItem.Item).toBeUndefined();
    expect(setMarker.Item).toBeUndefined();
    // Sent where it is awaited: its 404 is the expected outcome, never an unhandled rejection.
    await expect(
      s3.send(new HeadObjectCommand({ Bucket: config.archive.bucket, Key: key })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    expect(run.stderr).toMatch(/canary: removed 5 item\(s\) the run created/);
  }

  it("passes every check on the processor as it ships, then removes what it created", async () => {
    const topic = uniqueName("it.canary", "healthy");
    created.push(...Object.values(canaryTopics(topic)));

    const run = await canary(["--local", "--topic", topic, "--wait-s", "60"]);

    expect({ code: run.code, errors: runErrors(run) }).toEqual({ code: 0, errors: [] });
    expect(run.lines).toEqual([
      `PASS good record reached ${topic}.out exactly once: partition 0, offset 0`,
      expect.stringMatching(
        new RegExp(
          `^PASS invalid record is in the DLQ topic ${topic}.dlq: partition 0, offset 0, stage validate \\(SchemaViolationError\\)$`,
        ),
      ),
      expect.stringMatching(
        /^PASS invalid record's archive object holds its envelope: s3:\/\/dead-letters-local\/dead-letters\/topic=/,
      ),
      expect.stringMatching(
        /^PASS invalid record is in the index, pointing at its DLQ copy and archive object: DL#/,
      ),
      `PASS transient-once record was redelivered by the mapping and reached ${topic}.out: handed to the function 2 times, the first failed on purpose; partition 0, offset 1`,
    ]);
    expect(run.stdout).toMatch(/: 5 of 5 checks passed against the local stack/);
    await expectCleanedUp(run, topic);
  });

  it("fails 'exactly once' when the mapping reads the other item identifier key, and says which key to set", async () => {
    const topic = uniqueName("it.canary", "wrong-key");
    created.push(...Object.values(canaryTopics(topic)));

    // The function emits FAILURE_KEY_NAME=partition (its default); the emulated mapping reads the other name.
    const run = await canary(["--local", "--topic", topic, "--item-identifier-key", "topic-partition"]);

    // The run's errors ride along, so a run that never reached its checks says why.
    expect({
      code: run.code,
      verdicts: run.lines.map((line) => line.slice(0, 4)),
      errors: runErrors(run),
    }).toEqual({ code: 1, verdicts: ["FAIL", "PASS", "PASS", "PASS", "PASS"], errors: [] });
    expect(run.lines[0]).toContain(
      `FAIL good record reached ${topic}.out exactly once: the function was handed it 2 times`,
    );
    expect(run.lines[0]).toContain(
      "Lambda retried the whole batch instead of resuming at the transient-once record",
    );
    expect(run.lines[0]).toContain('did not read the item identifier key "partition"');
    expect(run.lines[0]).toContain('set FAILURE_KEY_NAME to "topic-partition"');
    // The emulator's own account of what happened (its wording is the emulator's to change).
    expect(run.stderr).toMatch(/\[emulator\] warn: .*topic-partition/);
    expect(run.stdout).toMatch(/: 4 of 5 checks passed/);
    await expectCleanedUp(run, topic);
  });

  it("proves a mapping it does not run from a cdk outputs file, as against AWS (an emulated mapping stands in)", async () => {
    const topic = uniqueName("it.canary", "outputs");
    const topics = canaryTopics(topic);
    created.push(...Object.values(topics));
    // Against a stack the tool creates no topic: the deployer does, like every other topic.
    await ensureTopics(
      admin,
      Object.values(topics).map((name) => ({ name, numPartitions: 1, replicationFactor: 1 })),
    );
    const file = path.join(mkdtempSync(path.join(tmpdir(), "canary-outputs-")), "cdk-outputs.json");
    writeFileSync(
      file,
      JSON.stringify({
        ItShop: {
          ProcessorFunctionName: "kafka-processor",
          ArchiveBucketName: config.archive.bucket,
          ArchivePrefix: config.archive.prefix,
          DeadLetterTableName: config.tables.deadLetters,
          AttemptsTableName: config.tables.attempts,
          CanaryTopic: topics.source,
          CanaryTargetTopic: topics.target,
          CanaryDlqTopic: topics.dlq,
          FailureKeyName: "partition",
          Region: "us-east-1",
          KafkaBootstrapBrokers: config.kafka.brokers.join(","),
          KafkaSsl: "false",
          KafkaAuth: "none",
        },
      }),
    );
    const mapping = emulate(topic);

    const run = await canary(["--outputs", file, "--wait-s", "90"], {
      // The local stack standing in for AWS: endpoints only because they are asked for.
      S3_ENDPOINT: config.aws.s3Endpoint ?? "",
      DYNAMODB_ENDPOINT: config.aws.dynamodbEndpoint ?? "",
    }).finally(() => stopEmulator(mapping));

    expect(run.code).toBe(0);
    expect(run.lines.map((line) => line.slice(0, 4))).toEqual(["PASS", "PASS", "PASS", "PASS", "PASS"]);
    expect(run.stdout).toMatch(/: 5 of 5 checks passed against stack ItShop in/);
    await expectCleanedUp(run, topic);
  });

  it("answers bad input with one line and exit code 2, before touching anything", async () => {
    const run = await canary(["--local", "--stack", "Prod"]);

    expect(run).toMatchObject({ code: 2, stdout: "" });
    expect(run.stderr).toBe("canary: --local proves the local stack: leave out --stack and --outputs\n");
  });
});
