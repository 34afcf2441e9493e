/**
 * `endOffsets` and `consumerLag` right after a leadership moved: ListOffsets may answer LEADER_NOT_AVAILABLE ("in the
 * middle of a leadership election") or NOT_LEADER_FOR_PARTITION, and kafkajs's admin does not retry
 * those itself. Seen in CI after `healCluster()` in sinkAcrossBrokers.test.ts, where it failed a test
 * whose sends had all been checked.
 */
import type { Admin, Kafka } from "kafkajs";
import { describe, expect, it } from "vitest";
import { consumerLag } from "../../../emulator/consumerLag";
import { endOffsets } from "../../../emulator/reconcile/readTopic";
import { brokerError } from "../../support/laggingCluster";

function kafkaAnswering(answers: (Error | undefined)[]): { kafka: Kafka; calls: () => number } {
  let calls = 0;
  const admin = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    fetchTopicOffsets: async () => {
      const answer = answers[calls];
      calls += 1;
      if (answer !== undefined) throw answer;
      return [
        { partition: 0, offset: "4", high: "4", low: "0" },
        { partition: 1, offset: "7", high: "7", low: "0" },
      ];
    },
  };
  return { kafka: { admin: () => admin } as unknown as Kafka, calls: () => calls };
}

describe("endOffsets", () => {
  it("asks again while a partition's leadership is moving, then answers", async () => {
    const { kafka, calls } = kafkaAnswering([
      brokerError("LEADER_NOT_AVAILABLE"),
      brokerError("NOT_LEADER_FOR_PARTITION"),
    ]);
    expect(await endOffsets(kafka, "orders")).toEqual(
      new Map([
        [0, 4],
        [1, 7],
      ]),
    );
    expect(calls()).toBe(3);
  });

  it("passes on any other error at once", async () => {
    const { kafka, calls } = kafkaAnswering([brokerError("TOPIC_AUTHORIZATION_FAILED")]);
    await expect(endOffsets(kafka, "orders")).rejects.toThrow("TOPIC_AUTHORIZATION_FAILED");
    expect(calls()).toBe(1);
  });

  it("gives up on an election that does not end, saying so", async () => {
    const { kafka } = kafkaAnswering(Array.from({ length: 1000 }, () => brokerError("LEADER_NOT_AVAILABLE")));
    await expect(endOffsets(kafka, "orders", { electionTimeoutMs: 300 })).rejects.toThrow(
      /LEADER_NOT_AVAILABLE/,
    );
  });
});

describe("consumerLag", () => {
  it("asks for the end offsets again while a leadership election is under way", async () => {
    let calls = 0;
    const admin = {
      fetchOffsets: async () => [{ topic: "orders", partitions: [{ partition: 0, offset: "3" }] }],
      fetchTopicOffsets: async () => {
        calls += 1;
        if (calls === 1) throw brokerError("LEADER_NOT_AVAILABLE");
        return [{ partition: 0, offset: "5", high: "5", low: "0" }];
      },
    } as unknown as Admin;

    expect(await consumerLag(admin, "group", ["orders"])).toEqual([
      { topic: "orders", partition: 0, committed: 3, highWatermark: 5, lag: 2 },
    ]);
    expect(calls).toBe(2);
  });
});
