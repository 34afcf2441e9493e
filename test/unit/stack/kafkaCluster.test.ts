import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../functions/lib/core/errors";
import {
  isKafkaInstanceName,
  kafkaCluster,
  parseBrokerCount,
  replicationDefaults,
} from "../../../stack/kafkaCluster";
import { stackLayout } from "../../../stack/layout";

const ports = { kafka: 19092, kafkaController: 19093, dynamodb: 18000, s3: 19000, schemaRegistry: 18081 };
const layout = stackLayout({ stackDir: "/stack" });

describe("kafkaCluster", () => {
  it("keeps a single node where the one-broker stack always had it", () => {
    const cluster = kafkaCluster(ports, layout, 1);

    expect(cluster.nodes).toEqual([
      expect.objectContaining({
        name: "kafka",
        nodeId: 1,
        port: 19092,
        controllerPort: 19093,
        dataDir: "/stack/data/kafka",
        logFile: "/stack/logs/kafka.log",
        pidFile: "/stack/run/kafka.pid",
        writesClassArchive: true,
      }),
    ]);
    expect(cluster.bootstrap).toEqual(["127.0.0.1:19092"]);
    expect(cluster.clusterDir).toBeUndefined();
  });

  it("derives three nodes' ports from KAFKA_PORT, two per node, inside a block of six", () => {
    const cluster = kafkaCluster(ports, layout, 3);

    expect(cluster.nodes.map((n) => [n.name, n.port, n.controllerPort])).toEqual([
      ["kafka-1", 19092, 19093],
      ["kafka-2", 19094, 19095],
      ["kafka-3", 19096, 19097],
    ]);
    expect(cluster.bootstrap).toEqual(["127.0.0.1:19092", "127.0.0.1:19094", "127.0.0.1:19096"]);
    expect(cluster.voters).toBe("1@127.0.0.1:19093,2@127.0.0.1:19095,3@127.0.0.1:19097");
  });

  it("gives each node of a cluster its own data directory, log and pid file, apart from the single node's", () => {
    const cluster = kafkaCluster(ports, layout, 3);

    expect(cluster.nodes.map((n) => n.dataDir)).toEqual([
      "/stack/data/kafka-cluster-3/node-1",
      "/stack/data/kafka-cluster-3/node-2",
      "/stack/data/kafka-cluster-3/node-3",
    ]);
    expect(cluster.nodes.map((n) => n.logFile)).toEqual([
      "/stack/logs/kafka-1.log",
      "/stack/logs/kafka-2.log",
      "/stack/logs/kafka-3.log",
    ]);
    expect(cluster.nodes.map((n) => n.writesClassArchive)).toEqual([true, false, false]);
    expect(cluster.clusterDir).toBe("/stack/data/kafka-cluster-3");
  });

  it("puts each node's SSL listener a thousand ports above its client port, outside the plain block", () => {
    const cluster = kafkaCluster(ports, layout, 3);

    expect(cluster.nodes.map((n) => n.tlsPort)).toEqual([20092, 20094, 20096]);
    expect(() => kafkaCluster({ ...ports, s3: 20094 }, layout, 3)).toThrow(
      /KAFKA_PORT puts the TLS port of Kafka node 2 on 20094, already taken by S3_PORT/,
    );
  });

  it("follows a moved controller port", () => {
    const cluster = kafkaCluster({ ...ports, kafkaController: 29093 }, layout, 2);

    expect(cluster.nodes.map((n) => n.controllerPort)).toEqual([29093, 29095]);
  });

  it.each([
    [
      { ...ports, s3: 19094 },
      /KAFKA_PORT puts the client port of Kafka node 2 on 19094, already taken by S3_PORT/,
    ],
    [
      { ...ports, kafkaController: 19094 },
      /KAFKA_PORT puts the client port of Kafka node 2 on 19094, already taken by the controller port of Kafka node 1/,
    ],
    [{ ...ports, kafka: 65_534, kafkaController: 65_535 }, /leaves no room/],
  ])("refuses ports that collide or overflow (%o)", (clash, message) => {
    const plan = () => kafkaCluster(clash, layout, 3);

    expect(plan).toThrow(ConfigError);
    expect(plan).toThrow(message);
  });
});

describe("replicationDefaults", () => {
  it.each([
    [1, 1, 1],
    [2, 2, 1],
    [3, 3, 2],
  ])(
    "on %i broker(s): replication factor %i, min.insync.replicas %i",
    (size, replicationFactor, minInsyncReplicas) => {
      expect(replicationDefaults(size)).toEqual({ replicationFactor, minInsyncReplicas });
    },
  );
});

describe("parseBrokerCount", () => {
  it.each([
    ["1", 1],
    [" 3 ", 3],
  ])("reads %j", (raw, count) => {
    expect(parseBrokerCount(raw)).toBe(count);
  });

  it.each(["0", "4", "three", "2.5", ""])("refuses %j, naming the variable", (raw) => {
    const parse = () => parseBrokerCount(raw);

    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(/STACK_KAFKA_BROKERS must be a number of brokers from 1 to 3/);
  });
});

describe("isKafkaInstanceName", () => {
  it.each([
    ["kafka", true],
    ["kafka-1", true],
    ["kafka-3", true],
    ["kafka-tools", false],
    ["kafka-0", false],
    ["dynamodb", false],
  ])("%s -> %s", (name, expected) => {
    expect(isKafkaInstanceName(name)).toBe(expected);
  });
});
