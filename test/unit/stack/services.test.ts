import { describe, expect, it } from "vitest";
import { kafkaCluster } from "../../../stack/kafkaCluster";
import { stackLayout } from "../../../stack/layout";
import { kafkaServerProperties, randomClusterId, s3ProxyProperties } from "../../../stack/services";
import { localTlsFiles } from "../../../stack/tls";

const ports = { kafka: 19092, kafkaController: 19093, dynamodb: 18000, s3: 19000, schemaRegistry: 18081 };
const layout = stackLayout({ stackDir: "/stack" });

function parse(properties: string): Record<string, string> {
  return Object.fromEntries(
    properties
      .split("\n")
      .filter((line) => line !== "" && !line.startsWith("#"))
      .map((line) => {
        const at = line.indexOf("=");
        return [line.slice(0, at), line.slice(at + 1)];
      }),
  );
}

describe("kafkaServerProperties", () => {
  const single = kafkaCluster(ports, layout, 1);
  const props = parse(kafkaServerProperties(single.nodes[0] as (typeof single.nodes)[0], single));

  it("runs one KRaft node as broker and controller on loopback only", () => {
    expect(props["process.roles"]).toBe("broker,controller");
    expect(props["node.id"]).toBe("1");
    expect(props.listeners).toBe("PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093");
    expect(props["advertised.listeners"]).toBe("PLAINTEXT://127.0.0.1:19092");
    expect(props["controller.quorum.voters"]).toBe("1@127.0.0.1:19093");
    expect(props["log.dirs"]).toBe("/stack/data/kafka");
  });

  it("never creates topics on first use, so a missing topic is an error the pipeline sees", () => {
    expect(props["auto.create.topics.enable"]).toBe("false");
  });

  it("is tuned for fast tests on one node", () => {
    expect(props["group.initial.rebalance.delay.ms"]).toBe("0");
    expect(props["offsets.topic.replication.factor"]).toBe("1");
    expect(props["transaction.state.log.replication.factor"]).toBe("1");
    expect(props["num.partitions"]).toBe("3");
  });

  // A checkout's data dir lives across `down`/`up`. With 1 MiB segments and Kafka's unbounded
  // retention by size, a few days of benchmarks left 17 GB in ~17,000 segment files, one open file
  // each, and the broker shut its log dir on "Too many open files" (limit 20,000) mid-benchmark.
  it("bounds what each partition keeps, so a long-lived data dir cannot exhaust the broker's open files", () => {
    const segmentBytes = Number(props["log.segment.bytes"]);
    const retentionBytes = Number(props["log.retention.bytes"]);
    expect(retentionBytes).toBeGreaterThan(0);
    // Closed segments past the limit are deleted; the active one and one being rolled stay.
    expect(retentionBytes / segmentBytes + 2).toBeLessThanOrEqual(32);
    // A whole 6 MB Lambda batch, and a benchmark's few hundred MB spread over three partitions, still fit.
    expect(retentionBytes).toBeGreaterThanOrEqual(128 * 1024 * 1024);
  });
});

describe("kafkaServerProperties with the stack's TLS files", () => {
  const cluster = kafkaCluster(ports, layout, 3);
  const node = cluster.nodes[1] as (typeof cluster.nodes)[1];
  const props = parse(kafkaServerProperties(node, cluster, localTlsFiles(layout)));

  it("adds an SSL listener for clients, requiring a certificate from the local CA; brokers keep PLAINTEXT", () => {
    expect(props.listeners).toBe(
      "PLAINTEXT://127.0.0.1:19094,SSL://127.0.0.1:20094,CONTROLLER://127.0.0.1:19095",
    );
    expect(props["advertised.listeners"]).toBe("PLAINTEXT://127.0.0.1:19094,SSL://127.0.0.1:20094");
    expect(props["listener.security.protocol.map"]).toBe("PLAINTEXT:PLAINTEXT,SSL:SSL,CONTROLLER:PLAINTEXT");
    expect(props["inter.broker.listener.name"]).toBe("PLAINTEXT");
    expect(props["listener.name.ssl.ssl.client.auth"]).toBe("required");
    expect(props["listener.name.ssl.ssl.keystore.location"]).toBe("/stack/conf/tls/broker.p12");
    expect(props["listener.name.ssl.ssl.truststore.location"]).toBe("/stack/conf/tls/ca.pem");
  });
});

describe("kafkaServerProperties of a three-node cluster", () => {
  const cluster = kafkaCluster(ports, layout, 3);
  const nodes = cluster.nodes.map((node) => parse(kafkaServerProperties(node, cluster)));

  it("gives each node its own id, ports and log directory, and all three the same voters", () => {
    expect(nodes.map((p) => p["node.id"])).toEqual(["1", "2", "3"]);
    expect(nodes.map((p) => p["advertised.listeners"])).toEqual([
      "PLAINTEXT://127.0.0.1:19092",
      "PLAINTEXT://127.0.0.1:19094",
      "PLAINTEXT://127.0.0.1:19096",
    ]);
    expect(nodes[2]?.listeners).toBe("PLAINTEXT://127.0.0.1:19096,CONTROLLER://127.0.0.1:19097");
    expect(new Set(nodes.map((p) => p["log.dirs"])).size).toBe(3);
    for (const p of nodes) {
      expect(p["controller.quorum.voters"]).toBe("1@127.0.0.1:19093,2@127.0.0.1:19095,3@127.0.0.1:19097");
    }
  });

  it("replicates every topic, internal ones included, three times with two in sync, as MSK on three AZs", () => {
    for (const p of nodes) {
      expect(p["default.replication.factor"]).toBe("3");
      expect(p["min.insync.replicas"]).toBe("2");
      expect(p["offsets.topic.replication.factor"]).toBe("3");
      expect(p["transaction.state.log.replication.factor"]).toBe("3");
      expect(p["transaction.state.log.min.isr"]).toBe("2");
      expect(p["share.coordinator.state.topic.replication.factor"]).toBe("3");
      expect(p["share.coordinator.state.topic.min.isr"]).toBe("2");
    }
  });
});

describe("randomClusterId", () => {
  it("is 16 random bytes in base64url that the storage tool accepts", () => {
    const ids = Array.from({ length: 200 }, () => randomClusterId());

    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      expect(Buffer.from(id, "base64url")).toHaveLength(16);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("s3ProxyProperties", () => {
  const props = parse(s3ProxyProperties(ports, "/data/s3"));

  it("serves the S3 API on loopback with the fixed local credentials", () => {
    expect(props["s3proxy.endpoint"]).toBe("http://127.0.0.1:19000");
    expect(props["s3proxy.authorization"]).toBe("aws-v2-or-v4");
    expect(props["s3proxy.identity"]).toBe("local");
    expect(props["s3proxy.credential"]).toBe("localsecret");
  });

  it("keeps objects as files under the stack's data directory", () => {
    expect(props["jclouds.provider"]).toBe("filesystem");
    expect(props["jclouds.filesystem.basedir"]).toBe("/data/s3");
  });
});
