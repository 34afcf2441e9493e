/**
 * DynamoDB Local (AWS's own), in memory, behind a small launcher that binds it to 127.0.0.1.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { localDynamoDbClientConfig } from "../clients";
import { DYNAMODB_LOCAL_VERSION, LOOPBACK, SQLITE4JAVA_VERSION } from "../constants";
import { StackError } from "../errors";
import type { LaunchContext, ServiceContext, ServiceDefinition } from "../types";

const LAUNCHER_CLASS = "LoopbackDynamoDbLocal";
const LAUNCHER_SOURCE = fileURLToPath(new URL(`../java/${LAUNCHER_CLASS}.java`, import.meta.url));

function classesDir(context: LaunchContext): string {
  return join(context.layout.serviceLib("dynamodb"), "classes");
}

export const dynamoDbService: ServiceDefinition = {
  name: "dynamodb",
  title: `DynamoDB Local ${DYNAMODB_LOCAL_VERSION}`,
  artifacts: [
    { groupId: "software.amazon.dynamodb", artifactId: "DynamoDBLocal", version: DYNAMODB_LOCAL_VERSION },
    // The native SQLite library DynamoDB Local stores tables in; found through -Djava.library.path.
    {
      groupId: "com.almworks.sqlite4java",
      artifactId: "libsqlite4java-linux-amd64",
      version: SQLITE4JAVA_VERSION,
      type: "so",
    },
  ],
  // The launcher class sits in a directory, which AppCDS cannot archive from.
  classDataSharing: false,
  stopTimeoutMs: 10_000,
  port: (ports) => ports.dynamodb,

  async prepare(context: LaunchContext): Promise<void> {
    const source = await readFile(LAUNCHER_SOURCE);
    const digest = createHash("sha256").update(source).digest("hex");
    const stamp = join(classesDir(context), ".source-sha256");
    if ((await readFile(stamp, "utf8").catch(() => "")) === digest) return;
    await mkdir(classesDir(context), { recursive: true });
    const result = spawnSync(
      context.java.javac,
      ["-d", classesDir(context), "-cp", join(context.jarsDir, "*"), LAUNCHER_SOURCE],
      { encoding: "utf8" },
    );
    if (result.status !== 0) {
      throw new StackError(`javac could not compile ${LAUNCHER_SOURCE}: ${result.stderr}`, {
        service: "dynamodb",
      });
    }
    await writeFile(stamp, digest);
  },

  javaArgs(context: LaunchContext): string[] {
    return [
      context.marker,
      "-Xmx384m",
      "-XX:+UseSerialGC",
      // Short-lived test tables: the C1 compiler alone starts faster and leaves a core for Kafka.
      "-XX:TieredStopAtLevel=1",
      "-XX:+ExitOnOutOfMemoryError",
      `-Djava.library.path=${context.jarsDir}`,
      `-Dstack.bindHost=${LOOPBACK}`,
      "-cp",
      [classesDir(context), join(context.jarsDir, "*")].join(delimiter),
      LAUNCHER_CLASS,
      "-inMemory",
      // One database for every access key and region, so functions under test and the tests see the
      // same tables whatever credentials their SDK picked up.
      "-sharedDb",
      "-disableTelemetry",
      "-port",
      String(context.ports.dynamodb),
    ];
  },

  async probe(context: ServiceContext): Promise<void> {
    const client = new DynamoDBClient({
      ...localDynamoDbClientConfig(context.config),
      endpoint: `http://${LOOPBACK}:${context.ports.dynamodb}`,
      maxAttempts: 1,
    });
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }));
    } finally {
      client.destroy();
    }
  },
};
