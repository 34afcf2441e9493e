/**
 * The compose files have never run here (no Docker engine), so they are checked two ways: against the
 * Compose Specification's own JSON schema (vendored, see test/fixtures/compose/README.md), and against
 * the versions and ports the JDK stack uses, read from the same constants, so the two cannot drift.
 */
import { readFileSync } from "node:fs";
import { Ajv2019 } from "ajv/dist/2019.js";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { LOCAL_PORTS } from "../../functions/lib/config";
import { APICURIO_REGISTRY_VERSION, DYNAMODB_LOCAL_VERSION, KAFKA_VERSION } from "../../stack/constants";
import { kafkaCluster } from "../../stack/kafkaCluster";
import { stackLayout } from "../../stack/layout";
import { readStackPorts } from "../../stack/ports";
import { kafkaServerProperties } from "../../stack/services";

type ComposeFile = {
  services: Record<
    string,
    { image?: string; ports?: string[]; command?: string[]; environment?: Record<string, unknown> }
  >;
};

const root = new URL("../../", import.meta.url);

function readCompose(name: string): ComposeFile {
  // Compose resolves YAML merge keys (`<<: *anchor`); so must the parser, or `<<` is a property.
  return parse(readFileSync(new URL(name, root), "utf8"), { merge: true }) as ComposeFile;
}

const specSchema = JSON.parse(
  readFileSync(new URL("test/fixtures/compose/compose-spec.json", root), "utf8"),
) as object;

function specValidator() {
  // The spec's schema still carries draft-04 `id`s inside a 2019-09 schema (compose-go's validator reads
  // draft-04); ajv refuses `id` unless told it is only an annotation here, as `$comment` is.
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  ajv.removeKeyword("id");
  ajv.addKeyword({ keyword: "id", schemaType: "string" });
  // Compose's own format for `expose` entries; compose-go accepts a port or range with a protocol.
  ajv.addFormat("expose", /^\d+(-\d+)?(\/[a-z]+)?$/);
  return ajv.compile(specSchema);
}

/** A port mapping as the compose files write it: `127.0.0.1:${VAR:-default}:container`. */
function published(variable: string, defaultPort: number, containerPort: number): string {
  return `127.0.0.1:\${${variable}:-${defaultPort}}:${containerPort}`;
}

/** What a port mapping `127.0.0.1:${VAR:-default}:container` says. */
function portMapping(mapping: string) {
  const match = /^127\.0\.0\.1:\$\{([A-Z0-9_]+):-(\d+)\}:(\d+)$/.exec(mapping);
  if (match === null) return undefined;
  return { variable: match[1], defaultPort: Number(match[2]), containerPort: Number(match[3]) };
}

interface Expectation {
  readonly service: string;
  readonly image: string | undefined;
  readonly variable: string;
  readonly defaultPort: number;
  readonly containerPort: number;
}

const defaults = readStackPorts({});
const cluster = kafkaCluster(defaults, stackLayout({ stackDir: "/unused" }), 3);
const portOfNode = (n: number) => cluster.nodes[n - 1]?.port;

/** Every service both files must agree with stack/ on: image tag (when the same server) and port. */
const SINGLE: readonly Expectation[] = [
  {
    service: "kafka",
    image: `apache/kafka:${KAFKA_VERSION}`,
    variable: "KAFKA_PORT",
    defaultPort: LOCAL_PORTS.kafka,
    containerPort: 9092,
  },
  {
    service: "dynamodb",
    image: `amazon/dynamodb-local:${DYNAMODB_LOCAL_VERSION}`,
    variable: "DYNAMODB_PORT",
    defaultPort: LOCAL_PORTS.dynamodb,
    containerPort: 8000,
  },
  // MinIO stands in for S3Proxy (no S3Proxy image with the same setup): only the port must agree.
  { service: "s3", image: undefined, variable: "S3_PORT", defaultPort: LOCAL_PORTS.s3, containerPort: 9000 },
  {
    service: "schema-registry",
    image: `apicurio/apicurio-registry-mem:${APICURIO_REGISTRY_VERSION}`,
    variable: "SCHEMA_REGISTRY_PORT",
    defaultPort: LOCAL_PORTS.schemaRegistry,
    containerPort: 8080,
  },
];

const CLUSTER: readonly Expectation[] = [2, 3].map((n) => ({
  service: `kafka-${n}`,
  image: `apache/kafka:${KAFKA_VERSION}`,
  variable: `KAFKA_PORT_${n}`,
  defaultPort: portOfNode(n) ?? Number.NaN,
  containerPort: 9092,
}));

/** Where a compose file disagrees with stack/: one line per difference, none when they agree. */
function composeDrift(compose: ComposeFile, expected: readonly Expectation[]): string[] {
  const drift: string[] = [];
  for (const want of expected) {
    const service = compose.services[want.service];
    if (service === undefined) {
      drift.push(`${want.service}: missing`);
      continue;
    }
    if (want.image !== undefined && service.image !== want.image) {
      drift.push(`${want.service}: image ${service.image} but stack/ runs ${want.image}`);
    }
    const mappings = (service.ports ?? []).map(portMapping);
    const found = mappings.find((m) => m?.variable === want.variable);
    if (found === undefined) {
      drift.push(`${want.service}: no 127.0.0.1:\${${want.variable}:-${want.defaultPort}} mapping`);
    } else if (found.defaultPort !== want.defaultPort || found.containerPort !== want.containerPort) {
      drift.push(
        `${want.service}: publishes ${found.defaultPort}:${found.containerPort}, stack/ listens on ${want.defaultPort}`,
      );
    }
  }
  return drift;
}

describe.each(["docker-compose.yml", "docker-compose.cluster.yml"])("%s", (file) => {
  it("is valid against the Compose Specification's JSON schema", () => {
    const validate = specValidator();

    const valid = validate(readCompose(file));

    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });
});

describe("the Compose Specification's schema", () => {
  it.each([
    ["a misspelt service key", { services: { kafka: { imag: "apache/kafka:4.1.2" } } }],
    ["ports as one string", { services: { kafka: { image: "apache/kafka:4.1.2", ports: "9092:9092" } } }],
    ["a top-level key the spec does not have", { services: {}, servers: {} }],
  ])("rejects %s, so a valid file means something", (_case, compose) => {
    expect(specValidator()(compose)).toBe(false);
  });
});

describe("the compose files and stack/", () => {
  const single = readCompose("docker-compose.yml");
  const overlay = readCompose("docker-compose.cluster.yml");

  it("run the same versions on the same ports (docker-compose.yml)", () => {
    expect(composeDrift(single, SINGLE)).toEqual([]);
  });

  it("run the same brokers on the ports the JDK cluster derives (docker-compose.cluster.yml)", () => {
    expect(composeDrift(overlay, CLUSTER)).toEqual([]);
    expect(CLUSTER.map((c) => c.defaultPort)).toEqual([9094, 9096]);
    // The overlay's anchor sets the image of every node it adds.
    expect(overlay.services.kafka?.image ?? single.services.kafka?.image).toBe(
      `apache/kafka:${KAFKA_VERSION}`,
    );
  });

  // Broker settings that are not per node, where the JDK stack and the images must agree: what a
  // partition keeps on disk (a local data dir lives for weeks) and how often a segment rolls.
  it.each(["log.segment.bytes", "log.retention.bytes"])(
    "configure every broker with the JDK stack's %s",
    (key) => {
      const jdk = kafkaServerProperties(cluster.nodes[0] as (typeof cluster.nodes)[0], cluster)
        .split("\n")
        .find((line) => line.startsWith(`${key}=`))
        ?.slice(key.length + 1);
      const variable = `KAFKA_${key.toUpperCase().replaceAll(".", "_")}`;
      const brokers = [
        single.services.kafka,
        overlay.services.kafka,
        overlay.services["kafka-2"],
        overlay.services["kafka-3"],
      ];

      expect(jdk).toBeDefined();
      expect(brokers.map((broker) => String(broker?.environment?.[variable]))).toEqual(
        brokers.map(() => jdk),
      );
    },
  );

  it("runs DynamoDB Local on the port it publishes", () => {
    const command = single.services.dynamodb?.command ?? [];

    expect(command[command.indexOf("-port") + 1]).toBe(String(8000));
  });

  describe.each([
    ["an older registry image", "schema-registry", { image: "apicurio/apicurio-registry-mem:2.4.1.Final" }],
    ["another Kafka", "kafka", { image: "apache/kafka:3.9.1" }],
    [
      "the registry on another default port",
      "schema-registry",
      { ports: [published("SCHEMA_REGISTRY_PORT", 8082, 8080)] },
    ],
    ["a port under another variable", "dynamodb", { ports: [published("DDB_PORT", 8000, 8000)] }],
  ])("with %s", (_case, service, change) => {
    it("reports the drift", () => {
      const drifted = structuredClone(single);
      drifted.services[service] = { ...drifted.services[service], ...change };

      expect(composeDrift(drifted, SINGLE)).toHaveLength(1);
    });
  });
});
