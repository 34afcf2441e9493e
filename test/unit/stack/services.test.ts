import { describe, expect, it } from "vitest";
import { kafkaServerProperties, randomClusterId, s3ProxyProperties } from "../../../stack/services";

const ports = { kafka: 19092, kafkaController: 19093, dynamodb: 18000, s3: 19000 };

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
  const props = parse(kafkaServerProperties(ports, "/data/kafka"));

  it("runs one KRaft node as broker and controller on loopback only", () => {
    expect(props["process.roles"]).toBe("broker,controller");
    expect(props.listeners).toBe("PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093");
    expect(props["advertised.listeners"]).toBe("PLAINTEXT://127.0.0.1:19092");
    expect(props["controller.quorum.voters"]).toBe("1@127.0.0.1:19093");
    expect(props["log.dirs"]).toBe("/data/kafka");
  });

  it("never creates topics on first use, so a missing topic is an error the pipeline sees", () => {
    expect(props["auto.create.topics.enable"]).toBe("false");
  });

  it("is tuned for fast tests on one node", () => {
    expect(props["group.initial.rebalance.delay.ms"]).toBe("0");
    expect(props["offsets.topic.replication.factor"]).toBe("1");
    expect(props["transaction.state.log.replication.factor"]).toBe("1");
    expect(Number(props["log.segment.bytes"])).toBeLessThanOrEqual(1_048_576);
    expect(props["num.partitions"]).toBe("3");
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
