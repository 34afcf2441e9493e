/**
 * DynamoDB Local (AWS's own), in memory, behind a small launcher that binds it to 127.0.0.1.
 */
import { delimiter, join } from "node:path";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { localDynamoDbClientConfig } from "../clients";
import { DYNAMODB_LOCAL_VERSION, LOOPBACK, SQLITE4JAVA_VERSION } from "../constants";
import { compileJavaSource } from "../javaSources";
import { singleInstance } from "../layout";
import type { LaunchContext, ServiceContext, ServiceDefinition } from "../types";

const LAUNCHER = { className: "LoopbackDynamoDbLocal", service: "dynamodb" } as const;

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
  instances: (context) => [singleInstance(context.layout, "dynamodb", context.ports.dynamodb)],

  async prepare(context: LaunchContext): Promise<void> {
    await compileJavaSource(LAUNCHER, context.java.javac, classesDir(context), join(context.jarsDir, "*"));
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
      LAUNCHER.className,
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
