/**
 * The Kafka cluster under test, as the integration global setup started it: its broker list and
 * whether this checkout runs enough nodes to inject faults into.
 */
import type { TestContext } from "vitest";
import { loadConfig } from "../../functions/lib/config";
import { brokers } from "../../stack/cluster";

/** `host:port` of every broker (KAFKA_BROKERS, set by the global setup): pass all to clients. */
export function stackBrokers(): string[] {
  return [...loadConfig().kafka.brokers];
}

/** KAFKA_BROKERS as one comma-separated bootstrap string, for a child process's environment. */
export function stackBootstrap(): string {
  return stackBrokers().join(",");
}

/**
 * Skips the test, saying why, unless this checkout runs at least `count` Kafka nodes itself: a
 * one-broker stack started by `npm start`, or brokers under docker compose, cannot take these faults.
 */
export async function requireOwnBrokers(context: TestContext, count: number): Promise<void> {
  const nodes = await brokers();
  if (nodes.some((b) => b.state === "external")) {
    context.skip("the brokers are not run by this checkout (docker compose?)");
  }
  if (nodes.length < count) {
    context.skip(
      `needs ${count} brokers of this checkout; it runs ${nodes.length} (set STACK_KAFKA_BROKERS=${count})`,
    );
  }
}
