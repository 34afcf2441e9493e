import { KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from "kafkajs";
import { describe, expect, it } from "vitest";
import { kafkaErrorType } from "../../../stack/kafkaErrorType";

describe("kafkaErrorType", () => {
  const leaderless = new KafkaJSProtocolError({
    message: "There is no leader for this topic-partition as we are in the middle of a leadership election",
    type: "LEADER_NOT_AVAILABLE",
    code: 5,
    retriable: true,
  } as never);

  it("names the broker's error of a protocol error", () => {
    expect(kafkaErrorType(leaderless)).toBe("LEADER_NOT_AVAILABLE");
  });

  it("names the broker's error behind kafkajs's retries (its cause)", () => {
    const exhausted = new KafkaJSNumberOfRetriesExceeded(leaderless, {
      retryCount: 5,
      retryTime: 1_000,
    } as never);
    expect(kafkaErrorType(exhausted)).toBe("LEADER_NOT_AVAILABLE");
  });

  it("is undefined for an error that is not the broker's", () => {
    expect(kafkaErrorType(new Error("ECONNREFUSED"))).toBeUndefined();
    expect(kafkaErrorType(undefined)).toBeUndefined();
  });
});
