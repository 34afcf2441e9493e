/**
 * Runs stack/java/KafkaLeaderElection.java, Kafka's own Admin client from the broker's jars, to
 * make a chosen replica the leader: kafkajs 2.2.4 has no ElectLeaders request.
 */
import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { jarsDir } from "../artifacts";
import { StackError } from "../errors";
import { compileJavaSource } from "../javaSources";
import { findJava } from "../tools";
import type { ServiceContext } from "../types";
import { answeringBrokers } from "./admin";

const TOOL = { className: "KafkaLeaderElection", service: "kafka" } as const;

/** The Admin client's own logging, warnings and errors only, on stderr. */
const TOOL_LOG4J2_XML = `<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="WARN">
  <Appenders><Console name="STDERR" target="SYSTEM_ERR"><PatternLayout pattern="%p %m (%c)%n"/></Console></Appenders>
  <Loggers><Root level="WARN"><AppenderRef ref="STDERR"/></Root></Loggers>
</Configuration>
`;

/**
 * Reorders the partition's replicas to `replicas` (the new leader first) and runs a preferred-leader
 * election. Resolves when the controller accepted it; the caller waits for metadata to show it.
 */
export async function electPreferredLeader(
  context: ServiceContext,
  topic: string,
  partition: number,
  replicas: readonly number[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<void> {
  const java = findJava(env);
  const jars = join(jarsDir(context.layout, "kafka"), "*");
  const classes = join(context.layout.serviceLib("kafka"), "classes");
  await compileJavaSource(TOOL, java.javac, classes, jars);
  const confDir = context.layout.confDir("kafka-tools");
  await mkdir(confDir, { recursive: true });
  await writeFile(join(confDir, "log4j2.xml"), TOOL_LOG4J2_XML);
  const bootstrap = (await answeringBrokers(context)).join(",");
  const { code, output } = await run(java.java, [
    "-Xmx128m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    `-Dlog4j2.configurationFile=${join(confDir, "log4j2.xml")}`,
    "-cp",
    [classes, jars].join(delimiter),
    TOOL.className,
    bootstrap,
    topic,
    String(partition),
    replicas.join(","),
  ]);
  if (code !== 0) {
    throw new StackError(`could not elect ${replicas[0]} leader of ${topic}-${partition}: ${output.trim()}`, {
      service: "kafka",
    });
  }
}

function run(command: string, args: readonly string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const append = (chunk: Buffer) => {
      output += chunk.toString("utf8");
    };
    child.stdout.on("data", append);
    child.stderr.on("data", append);
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? 1, output }));
  });
}
