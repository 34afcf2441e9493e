/**
 * `npm run stack:fault -- <command>`: the cluster's fault controls from a terminal, on the stack this
 * checkout runs (the broker count it was started with).
 *
 *   brokers                                 node ids, addresses, pids and states
 *   kill <node>                             SIGKILL the node's JVM (data kept)
 *   restart <node>                          start it again; waits until it is back in every ISR
 *   pause <node> [--for <seconds>]          SIGSTOP; with --for, resume after that long
 *   resume <node>                           SIGCONT; waits until it answers again
 *   leader <topic> <partition>              the partition's leader, replicas and ISR
 *   move <topic> <partition> [--to <node>] [--kill]
 *                                           elect another in-sync replica leader, or kill the
 *                                           leader (and restart it once another leads)
 *   heal                                    resume, restart and wait until every node is in sync
 */
import { ConfigError } from "../functions/lib/core/errors";
import {
  type BrokerProcess,
  brokers,
  healCluster,
  killBroker,
  moveLeadership,
  partitionState,
  pauseBroker,
  restartBroker,
  resumeBroker,
} from "./cluster";
import { StackError } from "./errors";
import { silenceKafkajsTimeoutWarning } from "./warnings";

const VALUE_FLAGS = new Set(["--for", "--to"]);

const USAGE = `usage: npm run stack:fault -- brokers | kill <node> | restart <node> | pause <node> [--for <s>]
       | resume <node> | leader <topic> <partition> | move <topic> <partition> [--to <node>] [--kill] | heal`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const log = (line: string) => console.log(`[stack] ${line}`);
  const positional = rest.filter((arg, i) => !arg.startsWith("--") && !VALUE_FLAGS.has(rest[i - 1] ?? ""));
  const began = Date.now();
  const took = () => `${((Date.now() - began) / 1000).toFixed(1)} s`;
  switch (command) {
    case "brokers":
      printBrokers(await brokers());
      return 0;
    case "kill": {
      const killed = await killBroker(nodeArg(positional[0]));
      log(`killed node ${killed.nodeId}; its data stays for restart (${took()})`);
      return 0;
    }
    case "restart":
      await restartBroker(nodeArg(positional[0]), { log });
      log(`node ${positional[0]} serves and is in sync again (${took()})`);
      return 0;
    case "pause": {
      const nodeId = nodeArg(positional[0]);
      await pauseBroker(nodeId);
      const seconds = flagValue(rest, "--for");
      if (seconds === undefined) {
        log(`paused node ${nodeId}; resume it with: npm run stack:fault -- resume ${nodeId}`);
        return 0;
      }
      await new Promise((resolve) => setTimeout(resolve, Number(seconds) * 1000));
      await resumeBroker(nodeId);
      log(`node ${nodeId} was paused for ${seconds} s and answers again (${took()})`);
      return 0;
    }
    case "resume":
      await resumeBroker(nodeArg(positional[0]));
      log(`node ${positional[0]} answers again (${took()})`);
      return 0;
    case "leader": {
      const state = await partitionState(topicArg(positional[0]), partitionArg(positional[1]));
      console.log(
        `  ${state.topic}-${state.partition} leader ${state.leader ?? "none"} replicas ${state.replicas.join(",")} isr ${state.isr.join(",")}`,
      );
      return 0;
    }
    case "move": {
      const to = flagValue(rest, "--to");
      const move = await moveLeadership(topicArg(positional[0]), partitionArg(positional[1]), {
        via: rest.includes("--kill") ? "kill" : "election",
        ...(to === undefined ? {} : { to: nodeArg(to) }),
        log,
      });
      log(`${move.topic}-${move.partition}: leader ${move.from} -> ${move.to} by ${move.via} (${took()})`);
      return 0;
    }
    case "heal":
      printBrokers(await healCluster({ log }));
      log(`every node runs and is in sync (${took()})`);
      return 0;
    default:
      console.error(USAGE);
      return 2;
  }
}

function printBrokers(list: readonly BrokerProcess[]): void {
  for (const b of list) {
    const pid = b.pid === undefined ? "" : ` pid ${b.pid}`;
    console.log(
      `  node ${b.nodeId} ${b.address.padEnd(16)} ${b.state.padEnd(8)} controller :${b.controllerPort}${pid}`,
    );
  }
}

function nodeArg(raw: string | undefined): number {
  if (raw === undefined || !/^\d+$/.test(raw))
    throw new ConfigError("node", `must be a node id, got "${raw ?? ""}"`);
  return Number(raw);
}

function partitionArg(raw: string | undefined): number {
  if (raw === undefined || !/^\d+$/.test(raw)) {
    throw new ConfigError("partition", `must be a partition number, got "${raw ?? ""}"`);
  }
  return Number(raw);
}

function topicArg(raw: string | undefined): string {
  if (raw === undefined || raw === "") throw new ConfigError("topic", "is required");
  return raw;
}

function flagValue(args: readonly string[], flag: string): string | undefined {
  const at = args.indexOf(flag);
  return at === -1 ? undefined : args[at + 1];
}

silenceKafkajsTimeoutWarning();
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const known = error instanceof StackError || error instanceof ConfigError;
    console.error(known ? `[stack] ${error.message}` : error);
    process.exitCode = 1;
  },
);
