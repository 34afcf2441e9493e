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
 *
 * The moves go to one long-lived tool process per set of answering brokers (`--serve`): a JVM with
 * Kafka's client classes takes about two seconds of CPU to start here, a move about a tenth of that,
 * and the fault tests move leaders dozens of times. A node paused, killed or back changes that set,
 * and the next move starts a tool that bootstraps from the nodes that answer now.
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
  const args = [
    "-Xmx128m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    `-Dlog4j2.configurationFile=${join(confDir, "log4j2.xml")}`,
    "-cp",
    [classes, jars].join(delimiter),
    TOOL.className,
    "--serve",
    bootstrap,
  ];
  const answer = await electionServer(java.java, args).move(`${topic} ${partition} ${replicas.join(",")}`);
  if (!answer.startsWith("ok ")) {
    throw new StackError(
      `could not elect ${replicas[0]} leader of ${topic}-${partition}: ${answer.replace(/^error /, "")}`,
      { service: "kafka" },
    );
  }
}

/** Longest wait for one move's answer: the tool's own steps give up after 30 s each. */
const MOVE_TIMEOUT_MS = 90_000;

interface ElectionServer {
  readonly key: string;
  /** One move line in, the tool's one answer line out (`ok ...` or `error ...`), one move at a time. */
  move(line: string): Promise<string>;
  stop(): void;
}

let current: ElectionServer | undefined;

function electionServer(java: string, args: readonly string[]): ElectionServer {
  const key = [java, ...args].join("\0");
  if (current?.key === key) return current;
  current?.stop();
  current = startElectionServer(java, args, key);
  return current;
}

function startElectionServer(java: string, args: readonly string[], key: string): ElectionServer {
  const child = spawn(java, [...args], { stdio: ["pipe", "pipe", "pipe"] });
  const waiting: { resolve(answer: string): void; reject(error: Error): void }[] = [];
  let queue: Promise<unknown> = Promise.resolve();
  let stderr = "";
  let buffered = "";
  // Idle, the tool holds no process open: the JVM exits when its stdin closes with this process.
  const hold = (on: boolean) => {
    // The pipes are sockets, which can be unref'd like the process itself.
    const handles = [child, child.stdin, child.stdout, child.stderr] as ({
      ref?(): void;
      unref?(): void;
    } | null)[];
    for (const handle of handles) {
      if (on) handle?.ref?.();
      else handle?.unref?.();
    }
  };
  hold(false);
  const fail = (error: Error) => {
    if (current === server) current = undefined;
    for (const pending of waiting.splice(0)) pending.reject(error);
  };
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-2_000);
  });
  child.stdout?.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8");
    for (let end = buffered.indexOf("\n"); end >= 0; end = buffered.indexOf("\n")) {
      const line = buffered.slice(0, end).trim();
      buffered = buffered.slice(end + 1);
      waiting.shift()?.resolve(line);
    }
  });
  child.once("error", (error) => fail(error));
  child.once("exit", (code, signal) =>
    fail(new Error(`the leader election tool exited (${signal ?? code}): ${stderr.trim()}`)),
  );
  child.stdin?.on("error", () => undefined); // an exited tool is reported by "exit"
  const server: ElectionServer = {
    key,
    move: (line) => {
      const answer = queue.then(
        () =>
          new Promise<string>((resolve, reject) => {
            hold(true);
            const timer = setTimeout(() => {
              server.stop();
              reject(new Error(`the leader election tool did not answer within ${MOVE_TIMEOUT_MS} ms`));
            }, MOVE_TIMEOUT_MS);
            const settle = () => {
              clearTimeout(timer);
              if (waiting.length === 0) hold(false);
            };
            waiting.push({
              resolve: (text) => {
                settle();
                resolve(text);
              },
              reject: (error) => {
                settle();
                reject(error);
              },
            });
            child.stdin?.write(`${line}\n`);
          }),
      );
      queue = answer.catch(() => undefined);
      return answer.catch((error: Error) => `error ${error.message}`);
    },
    stop: () => {
      if (current === server) current = undefined;
      child.stdin?.end();
      child.kill("SIGKILL");
    },
  };
  return server;
}
