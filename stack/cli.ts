/**
 * `npm run stack:up | stack:down | stack:status`: the local stack from a terminal.
 *
 *   up [--no-provision]   start what is not running, then create topics, bucket and tables
 *   down [--purge]        stop what this checkout started; --purge also deletes its data
 *   status                where each service listens and whether it answers
 */
import { ConfigError } from "../functions/lib/core/errors";
import { SERVICE_NAMES } from "./constants";
import { StackError } from "./errors";
import { stackStatus, startStack, stopStack } from "./stack";
import type { ServiceName } from "./types";
import { silenceKafkajsTimeoutWarning } from "./warnings";

const USAGE = "usage: tsx stack/cli.ts up [--no-provision] | down [--purge] | status";

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...flags] = argv;
  const log = (line: string) => console.log(`[stack] ${line}`);
  switch (command) {
    case "up": {
      const began = Date.now();
      const { services, provisioned } = await startStack({
        log,
        ...(flags.includes("--no-provision") ? { topology: false as const } : {}),
      });
      for (const up of services) {
        const how = up.origin === "external" ? "already listening (not managed here)" : up.origin;
        console.log(`  ${pad(up.service)} ${up.address.padEnd(16)} ${how}${up.pid ? ` pid ${up.pid}` : ""}`);
      }
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
      for (const s of stopped) console.log(`  ${pad(s.service)} ${s.result}`);
      return 0;
    }
    case "status": {
      const statuses = await stackStatus();
      for (const s of statuses) {
        const pid = s.pid === undefined ? "" : ` pid ${s.pid}`;
        console.log(`  ${pad(s.service)} ${s.address.padEnd(16)} ${s.state.padEnd(9)} ${s.title}${pid}`);
        if (s.state !== "external") console.log(`  ${pad("")} log ${s.logFile}`);
      }
      return statuses.every((s) => s.state === "running" || s.state === "external") ? 0 : 3;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

function pad(name: ServiceName | ""): string {
  return name.padEnd(Math.max(...SERVICE_NAMES.map((n) => n.length)));
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
