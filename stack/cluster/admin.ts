import { type Admin, Kafka } from "kafkajs";
import { localKafkaConfig } from "../clients";
import { LOOPBACK } from "../constants";
import { livePid } from "../instances";
import { isProcessPaused } from "../processes";
import type { ServiceContext } from "../types";

/**
 * `host:port` of the nodes that can answer now: a paused node accepts connections and then answers
 * nothing, so a client bootstrapping from it would wait out its request timeout first. Every node
 * when none is ours (the cluster runs under docker compose).
 */
export async function answeringBrokers(context: ServiceContext): Promise<string[]> {
  const states = await Promise.all(
    context.kafka.nodes.map(async (node) => {
      const pid = await livePid(node, context.layout);
      return { node, pid, paused: pid !== undefined && isProcessPaused(pid) };
    }),
  );
  if (states.every((s) => s.pid === undefined)) return [...context.kafka.bootstrap];
  return states.filter((s) => s.pid !== undefined && !s.paused).map((s) => `${LOOPBACK}:${s.node.port}`);
}

/** Runs `action` with a short-lived kafkajs admin client on the nodes that can answer now. */
export async function withClusterAdmin<T>(
  context: ServiceContext,
  action: (admin: Admin) => Promise<T>,
): Promise<T> {
  const brokers = await answeringBrokers(context);
  if (brokers.length === 0) throw new Error("no Kafka node of this stack is running and not paused");
  const admin = new Kafka(
    localKafkaConfig(
      {
        clientId: "stack-cluster-faults",
        brokers,
        connectionTimeout: 1_000,
        requestTimeout: 5_000,
        retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2_000 },
      },
      context.config,
    ),
  ).admin();
  await admin.connect();
  try {
    return await action(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
