/**
 * `npm run stack:up | stack:down | stack:status`: the local stack from a terminal.
 *
 *   up [--brokers N] [--no-provision]   start what is not running (N Kafka nodes, 1 to 3; default
 *                                       STACK_KAFKA_BROKERS, else the running cluster's, else 1),
 *                                       then create topics, bucket and tables
 *   down [--purge]                      stop what this checkout started (every Kafka node);
 *                                       --purge also deletes its data
 *   status                              where each service and Kafka node listens, whether it answers
 */
import { ConfigError } from "../functions/lib/core/errors";
import { SERVICE_NAMES } from "./constants";
import { StackError } from "./errors";
import { parseBrokerCount } from "./kafkaCluster";
import { stackStatus, startStack, stopStack } from "./stack";
import { silenceKafkajsTimeoutWarning } from "./warnings";

const USAGE = "usage: tsx stack/cli.ts up [--brokers N] [--no-provision] | down [--purge] | status";

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...flags] = argv;
  const log = (line: string) => console.log(`[stack] ${line}`);
  switch (command) {
    case "up": {
      const began = Date.now();
      const brokers = brokersFlag(flags);
      const { services, provisioned, kafkaBrokers } = await startStack({
        log,
        ...(brokers === undefined ? {} : { brokers }),
        ...(flags.includes("--no-provision") ? { topology: false as const } : {}),
      });
      for (const up of services) {
        const how = up.origin === "external" ? "already listening (not managed here)" : up.origin;
        console.log(`  ${pad(up.instance)} ${up.address.padEnd(16)} ${how}${up.pid ? ` pid ${up.pid}` : ""}`);
      }
      if (kafkaBrokers.length > 1) log(`KAFKA_BROKERS=${kafkaBrokers.join(",")}`);
      if (provisioned !== undefined) {
        const created = [
          ...provisioned.topics.created,
          ...provisioned.buckets.created,
          ...provisioned.tables.created,
        ];
        log(`provisioned: ${created.length === 0 ? "nothing new" : `created ${created.join(", ")}`}`);
      }
      log(`up in ${((Date.now() - began) / 1000).toFixed(1)} s`);
      return 0;
    }
    case "down": {
      const stopped = await stopStack({ log, purge: flags.includes("--purge") });
      for (const s of stopped) {
        if (s.instances.length <= 1) console.log(`  ${pad(s.service)} ${s.result}`);
        for (const i of s.instances.length > 1 ? s.instances : [])
          console.log(`  ${pad(i.instance)} ${i.result}`);
      }
      return 0;
    }
    case "status": {
      const statuses = await stackStatus();
      for (const s of statuses) {
        const pid = s.pid === undefined ? "" : ` pid ${s.pid}`;
        const node = s.nodeId === undefined || s.instance === s.service ? "" : ` node ${s.nodeId}`;
        console.log(
          `  ${pad(s.instance)} ${s.address.padEnd(16)} ${s.state.padEnd(9)} ${s.title}${node}${pid}`,
        );
        if (s.state !== "external") console.log(`  ${pad("")} log ${s.logFile}`);
      }
      return statuses.every((s) => s.state === "running" || s.state === "external") ? 0 : 3;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

function pad(name: string): string {
  // "kafka-3" is the longest name.
  return name.padEnd(Math.max(7, ...SERVICE_NAMES.map((n) => n.length)));
}

function brokersFlag(flags: readonly string[]): number | undefined {
  const at = flags.findIndex((f) => f === "--brokers" || f.startsWith("--brokers="));
  if (at === -1) return undefined;
  const flag = flags[at] ?? "";
  const raw = flag.includes("=") ? flag.slice(flag.indexOf("=") + 1) : flags[at + 1];
  return parseBrokerCount(raw ?? "", "--brokers");
}

silenceKafkajsTimeoutWarning();
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Our own errors already say what to do; anything else keeps its stack for a bug report.
    const known = error instanceof StackError || error instanceof ConfigError;
    console.error(known ? `[stack] ${error.message}` : error);
    process.exitCode = 1;
  },
);
