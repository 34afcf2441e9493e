/**
 * How many Kafka nodes the stack runs. Asked for with `--brokers` or STACK_KAFKA_BROKERS; otherwise
 * the count the running cluster was started with, recorded in `.stack/run/kafka-brokers` until
 * `stack:down`, so `stack:status`, `stack:fault` and a test run find all three nodes of a cluster
 * started in another terminal, even while a fault has killed some of them.
 */
import { readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BROKERS_VARIABLE, parseBrokerCount } from "./kafkaCluster";
import type { StackLayout, StackOptions } from "./types";

/** The count asked for explicitly, if any. */
export function requestedBrokerCount(options: Pick<StackOptions, "brokers" | "env">): number | undefined {
  if (options.brokers !== undefined) return parseBrokerCount(String(options.brokers), "--brokers");
  const raw = (options.env ?? process.env)[BROKERS_VARIABLE];
  return raw === undefined || raw.trim() === "" ? undefined : parseBrokerCount(raw);
}

/** The count a cluster of this checkout was started with and not yet stopped by `stack:down`. */
export function recordedBrokerCount(layout: StackLayout): number | undefined {
  let raw: string;
  try {
    raw = readFileSync(recordFile(layout), "utf8");
  } catch {
    return undefined;
  }
  try {
    return parseBrokerCount(raw, recordFile(layout));
  } catch {
    // A damaged record says nothing; the next start writes a new one.
    return undefined;
  }
}

/** Asked for, else recorded, else one broker. */
export function resolveBrokerCount(
  options: Pick<StackOptions, "brokers" | "env">,
  layout: StackLayout,
): number {
  return requestedBrokerCount(options) ?? recordedBrokerCount(layout) ?? 1;
}

export async function recordBrokerCount(layout: StackLayout, count: number): Promise<void> {
  await mkdir(layout.runDir, { recursive: true });
  await writeFile(recordFile(layout), `${count}\n`);
}

export async function forgetBrokerCount(layout: StackLayout): Promise<void> {
  await rm(recordFile(layout), { force: true });
}

function recordFile(layout: StackLayout): string {
  return join(layout.runDir, "kafka-brokers");
}
