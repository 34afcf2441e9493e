import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../functions/lib/core/errors";
import { readStackPorts } from "../../../stack/ports";

describe("readStackPorts", () => {
  it("defaults to the ports functions/lib/config.ts points at", () => {
    const ports = readStackPorts({});

    expect(ports).toEqual({
      kafka: 9092,
      kafkaController: 9093,
      dynamodb: 8000,
      s3: 9000,
      schemaRegistry: 8081,
    });
  });

  it("takes overrides and puts the controller after a moved broker", () => {
    const ports = readStackPorts({
      KAFKA_PORT: "19092",
      DYNAMODB_PORT: "18000",
      S3_PORT: " 19000 ",
      SCHEMA_REGISTRY_PORT: "18081",
    });

    expect(ports).toEqual({
      kafka: 19092,
      kafkaController: 19093,
      dynamodb: 18000,
      s3: 19000,
      schemaRegistry: 18081,
    });
  });

  it("uses KAFKA_CONTROLLER_PORT when set", () => {
    expect(readStackPorts({ KAFKA_CONTROLLER_PORT: "29093" }).kafkaController).toBe(29093);
  });

  describe.each([
    ["KAFKA_PORT", "abc", /KAFKA_PORT must be a port number/],
    ["S3_PORT", "0", /S3_PORT must be between 1 and 65535/],
    ["DYNAMODB_PORT", "70000", /DYNAMODB_PORT must be between 1 and 65535/],
    ["KAFKA_CONTROLLER_PORT", "-1", /KAFKA_CONTROLLER_PORT must be a port number/],
    ["SCHEMA_REGISTRY_PORT", "8o81", /SCHEMA_REGISTRY_PORT must be a port number/],
  ])("%s=%s", (variable, value, message) => {
    it("fails with a ConfigError naming the variable", () => {
      const read = () => readStackPorts({ [variable]: value });

      expect(read).toThrow(ConfigError);
      expect(read).toThrow(message);
    });
  });

  it("refuses two services on one port", () => {
    const read = () => readStackPorts({ S3_PORT: "8000" });

    expect(read).toThrow(/S3_PORT uses port 8000, already taken by DYNAMODB_PORT/);
  });

  it("refuses the schema registry on the broker's port", () => {
    const read = () => readStackPorts({ SCHEMA_REGISTRY_PORT: "9092" });

    expect(read).toThrow(/SCHEMA_REGISTRY_PORT uses port 9092, already taken by KAFKA_PORT/);
  });
});
