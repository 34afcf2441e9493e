import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../functions/lib/config";
import { ATTEMPTS_TABLE, DEAD_LETTER_TABLE } from "../../../functions/lib/tables";
import {
  attemptsTable,
  deadLetterTable,
  LOCAL_TOPICS,
  localTopology,
  topicSpec,
} from "../../../stack/topology";

describe("localTopology", () => {
  it("declares each pipeline's source, target and DLQ topic with 3 partitions and the cluster's replication", () => {
    const { topics } = localTopology(loadConfig({}));

    expect(topics.map((t) => t.name)).toEqual([
      "employees",
      "employees.processed",
      "employees.dlq",
      "user-events",
      "user-events.processed",
      "user-events.dlq",
    ]);
    expect(topics.every((t) => t.numPartitions === 3 && t.replicationFactor === undefined)).toBe(true);
  });

  it("takes bucket and table names from the configuration", () => {
    const config = loadConfig({
      ARCHIVE_BUCKET: "archive-x",
      DEAD_LETTER_TABLE: "dl-x",
      ATTEMPTS_TABLE: "at-x",
    });

    const topology = localTopology(config);

    expect(topology.buckets).toEqual(["archive-x"]);
    expect(topology.tables.map((t) => t.definition.TableName)).toEqual(["dl-x", "at-x"]);
  });

  it("defaults to the local bucket and table names", () => {
    const topology = localTopology(loadConfig({}));

    expect(topology.buckets).toEqual(["dead-letters-local"]);
    expect(topology.tables.map((t) => t.definition.TableName)).toEqual(["dead-letters", "record-attempts"]);
  });
});

describe("deadLetterTable", () => {
  const { definition, ttlAttribute } = deadLetterTable("dead-letters");

  it("keys the table by pk/sk, on demand, with string attributes only", () => {
    expect(definition.KeySchema).toEqual([
      { AttributeName: DEAD_LETTER_TABLE.partitionKey, KeyType: "HASH" },
      { AttributeName: DEAD_LETTER_TABLE.sortKey, KeyType: "RANGE" },
    ]);
    expect(definition.BillingMode).toBe("PAY_PER_REQUEST");
    expect(definition.AttributeDefinitions?.map((a) => a.AttributeType)).toEqual([
      "S",
      "S",
      "S",
      "S",
      "S",
      "S",
    ]);
    expect(ttlAttribute).toBe(DEAD_LETTER_TABLE.ttlAttribute);
  });

  it.each([DEAD_LETTER_TABLE.byTopicIndex, DEAD_LETTER_TABLE.byStatusIndex])(
    "has the $name index projecting all attributes",
    (index) => {
      const gsi = definition.GlobalSecondaryIndexes?.find((g) => g.IndexName === index.name);

      expect(gsi?.KeySchema).toEqual([
        { AttributeName: index.partitionKey, KeyType: "HASH" },
        { AttributeName: index.sortKey, KeyType: "RANGE" },
      ]);
      expect(gsi?.Projection).toEqual({ ProjectionType: "ALL" });
    },
  );
});

describe("attemptsTable", () => {
  it("has a partition key only", () => {
    const { definition, ttlAttribute } = attemptsTable("record-attempts");

    expect(definition.KeySchema).toEqual([{ AttributeName: ATTEMPTS_TABLE.partitionKey, KeyType: "HASH" }]);
    expect(definition.GlobalSecondaryIndexes).toBeUndefined();
    expect(ttlAttribute).toBe(ATTEMPTS_TABLE.ttlAttribute);
  });
});

describe("topicSpec", () => {
  it("applies overrides over the local defaults", () => {
    const spec = topicSpec("orders", { numPartitions: 6, configEntries: { "retention.ms": "60000" } });

    expect(spec).toEqual({ name: "orders", numPartitions: 6, configEntries: { "retention.ms": "60000" } });
  });

  it("is what LOCAL_TOPICS is built from", () => {
    expect(LOCAL_TOPICS[0]).toEqual(topicSpec("employees"));
  });
});
