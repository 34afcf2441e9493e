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
import { LOCAL_CREDENTIALS, SERVICE_NAMES } from "../../stack/constants";
import { serviceContext } from "../../stack/context";
import { BROKERS_VARIABLE } from "../../stack/kafkaCluster";
import { stackLayout } from "../../stack/layout";
import { acquireStackLease, releaseStackLease, type StackLease } from "../../stack/leases";
import { startService, startStack, stopStack } from "../../stack/stack";
import type { ServiceName } from "../../stack/types";
import { silenceKafkajsTimeoutWarning } from "../../stack/warnings";
import { removeStackReady, STACK_READY_VARIABLE, stackReadyFile, writeStackReady } from "./stackReadiness";

/**
 * Two projects (integration, stack-faults) name this setup and vitest runs it for each, in its own
 * process: the first call starts the stack, the last teardown stops it. Kept on `globalThis` in
 * case the module is loaded once per project.
 */
interface SetupState {
  users: number;
  lease: StackLease | undefined;
  startedHere: ServiceName[];
  /** The stack but the registry, started in the background (see setup); settles when it answers. */
  ready: Promise<void> | undefined;
  /** The schema registry, started in the background after the rest (see setup). */
  registry: Promise<void> | undefined;
}
const STATE_KEY = Symbol.for("kafka-lambda-pipeline.integration-stack");
const shared = globalThis as Record<symbol, SetupState | undefined>;
shared[STATE_KEY] ??= { users: 0, lease: undefined, startedHere: [], ready: undefined, registry: undefined };
const state: SetupState = shared[STATE_KEY];

/** Started after the others and not awaited: see setup. */
const BACKGROUND_SERVICE: ServiceName = "schema-registry";

const log = (line: string) => console.log(`[stack] ${line}`);

/** Brokers of the integration stack when nothing says otherwise; see the README on start-up times. */
export const INTEGRATION_BROKERS = 3;

export async function setup(): Promise<void> {
  state.users += 1;
  if (state.users > 1) return;
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
  state.lease = await acquireStackLease(layout);
  const brokers = requestedBrokerCount({}) ?? recordedBrokerCount(layout) ?? INTEGRATION_BROKERS;
  // Test workers are forked after this: they and the functions under test bootstrap from every node,
  // and stack calls in tests (startService, the fault controls) see the same cluster size. The
  // addresses follow from the layout and the size, so they are known before the stack answers.
  process.env[BROKERS_VARIABLE] = String(brokers);
  process.env.KAFKA_BROKERS ??= serviceContext({ brokers }).kafka.bootstrap.join(",");
  // The registry's Confluent-compatible API, for registry clients in tests and functions under test.
  process.env.SCHEMA_REGISTRY_URL ??= localSchemaRegistryUrl();
  // Started in the background: the files without the stack (unit, infra) run first, meanwhile (see
  // stackLastSequencer.ts), and each file that needs the stack waits for this (stackReady.ts).
  const ready = stackReadyFile();
  process.env[STACK_READY_VARIABLE] = ready;
  state.ready = startInBackground(brokers).then(
    () => writeStackReady(ready, undefined),
    (error: unknown) => {
      log(`did not start: ${(error as Error).message}`);
      return writeStackReady(ready, (error as Error).message);
    },
  );
}

async function startInBackground(brokers: number): Promise<void> {
  const began = Date.now();
  const { services } = await startStack({
    log,
    brokers,
    services: SERVICE_NAMES.filter((name) => name !== BACKGROUND_SERVICE),
  });
  state.startedHere = [...new Set(services.filter((s) => s.origin === "started").map((s) => s.service))];
  const reused = services.filter((s) => s.origin !== "started").map((s) => s.instance);
  log(
    `ready in ${((Date.now() - began) / 1000).toFixed(1)} s with ${brokers} broker(s)` +
      (state.startedHere.length > 0
        ? `; started ${services
            .filter((s) => s.origin === "started")
            .map((s) => s.instance)
            .join(", ")}`
        : "") +
      (reused.length > 0 ? `; reused ${reused.join(", ")}` : ""),
  );
  // The registry's first start on a machine builds it with Maven (a minute or more; see the README):
  // the tests that need it wait for it (test/support/schemaRegistry.ts) while the others run.
  const registryBegan = Date.now();
  state.registry = startService(BACKGROUND_SERVICE, { log }).then(
    (up) => {
      if (up.origin === "started") state.startedHere.push(BACKGROUND_SERVICE);
      log(`${BACKGROUND_SERVICE} ${up.origin} after ${((Date.now() - registryBegan) / 1000).toFixed(1)} s`);
    },
    (error: unknown) => log(`${BACKGROUND_SERVICE} did not start: ${(error as Error).message}`),
  );
}

export async function teardown(): Promise<void> {
  state.users -= 1;
  if (state.users > 0) return;
  await state.ready;
  await state.registry;
  await removeStackReady(process.env[STACK_READY_VARIABLE]);
  const layout = stackLayout();
  const others = state.lease === undefined ? 0 : await releaseStackLease(layout, state.lease);
  const { startedHere } = state;
  if (startedHere.length === 0) return;
  if (others > 0) {
    log(`leaving ${startedHere.join(", ")} running: ${others} other test run(s) still use the stack`);
    return;
  }
  await stopStack({ services: startedHere });
  log(`stopped ${startedHere.join(", ")}`);
}
