/**
 * Vitest global setup of the integration project: starts the local stack once when it is not already
 * up, provisions it, and at the end stops only the services this run started (and only when no other
 * test run still uses them). A stack started by `npm run stack:up` or docker compose is left running.
 *
 * Kafka runs as a three-broker cluster, like MSK over three Availability Zones, unless
 * STACK_KAFKA_BROKERS asks otherwise or a stack of this checkout already runs with another count
 * (which is reused; the tests that need three brokers then skip, saying so). Every test worker, and
 * every function under test, gets the whole broker list as KAFKA_BROKERS.
 */
import { localSchemaRegistryUrl } from "../../functions/lib/config";
import { recordedBrokerCount, requestedBrokerCount } from "../../stack/brokerCount";
import { LOCAL_CREDENTIALS } from "../../stack/constants";
import { BROKERS_VARIABLE } from "../../stack/kafkaCluster";
import { stackLayout } from "../../stack/layout";
import { acquireStackLease, releaseStackLease, type StackLease } from "../../stack/leases";
import { startStack, stopStack } from "../../stack/stack";
import type { ServiceName } from "../../stack/types";
import { silenceKafkajsTimeoutWarning } from "../../stack/warnings";

let lease: StackLease | undefined;
let startedHere: ServiceName[] = [];

const log = (line: string) => console.log(`[stack] ${line}`);

/** Brokers of the integration stack when nothing says otherwise; see the README on start-up times. */
export const INTEGRATION_BROKERS = 3;

export async function setup(): Promise<void> {
  silenceKafkajsTimeoutWarning();
  // Test workers are forked after this and inherit the variable; see stack/warnings.ts for why.
  process.env.NODE_OPTIONS = [process.env.NODE_OPTIONS, "--disable-warning=TimeoutNegativeWarning"]
    .filter(Boolean)
    .join(" ");
  // Clients built with the SDK's default credential chain (functions under test) need something to
  // sign with; the local services accept these. Real credentials in the environment are left alone.
  process.env.AWS_ACCESS_KEY_ID ??= LOCAL_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY ??= LOCAL_CREDENTIALS.secretAccessKey;
  process.env.AWS_REGION ??= "us-east-1";

  const layout = stackLayout();
  lease = await acquireStackLease(layout);
  const began = Date.now();
  const brokers = requestedBrokerCount({}) ?? recordedBrokerCount(layout) ?? INTEGRATION_BROKERS;
  const { services, kafkaBrokers } = await startStack({ log, brokers });
  // Test workers are forked after this: they and the functions under test bootstrap from every node,
  // and stack calls in tests (startService, the fault controls) see the same cluster size.
  process.env[BROKERS_VARIABLE] = String(brokers);
  process.env.KAFKA_BROKERS ??= kafkaBrokers.join(",");
  // The registry's Confluent-compatible API, for registry clients in tests and functions under test.
  process.env.SCHEMA_REGISTRY_URL ??= localSchemaRegistryUrl();
  startedHere = [...new Set(services.filter((s) => s.origin === "started").map((s) => s.service))];
  const reused = services.filter((s) => s.origin !== "started").map((s) => s.instance);
  log(
    `ready in ${((Date.now() - began) / 1000).toFixed(1)} s with ${brokers} broker(s)` +
      (startedHere.length > 0
        ? `; started ${services
            .filter((s) => s.origin === "started")
            .map((s) => s.instance)
            .join(", ")}`
        : "") +
      (reused.length > 0 ? `; reused ${reused.join(", ")}` : ""),
  );
}

export async function teardown(): Promise<void> {
  const layout = stackLayout();
  const others = lease === undefined ? 0 : await releaseStackLease(layout, lease);
  if (startedHere.length === 0) return;
  if (others > 0) {
    log(`leaving ${startedHere.join(", ")} running: ${others} other test run(s) still use the stack`);
    return;
  }
  await stopStack({ services: startedHere });
  log(`stopped ${startedHere.join(", ")}`);
}
