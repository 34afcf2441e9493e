import { describe, expect, it } from "vitest";
import type { EventEnvelope } from "../../../emulator/eventBuilder";
import { toPolledRecord } from "../../../emulator/eventBuilder";
import {
  buildKafkaFailureMessages,
  buildS3FailureDocument,
  mappingUuid,
  s3FailureObjectKey,
} from "../../../emulator/onFailure";
import type { FailedBatch } from "../../../emulator/types";
import { message, polled } from "./records";

const envelope: EventEnvelope = {
  eventSource: "aws:kafka",
  eventSourceArn: "arn:aws:kafka:us-east-1:000000000000:cluster/local/uuid-1",
  bootstrapServers: "127.0.0.1:9092",
};
const context = { envelope, functionArn: "arn:aws:lambda:us-east-1:000000000000:function:f" };
const failed: FailedBatch = {
  records: [...polled("user-events", 0, [10, 11]), ...polled("user-events", 2, [7])],
  condition: "RetryAttemptsExhausted",
  requestId: "req-1",
  invokeCount: 3,
  functionError: "Unhandled",
  failedAt: new Date("2026-11-22T10:11:12.345Z"),
};

describe("buildS3FailureDocument", () => {
  it("has AWS's fields and the whole invocation event as a JSON string", () => {
    const document = buildS3FailureDocument(failed, context);

    expect(document).toMatchObject({
      requestContext: {
        requestId: "req-1",
        functionArn: context.functionArn,
        condition: "RetryAttemptsExhausted",
        approximateInvokeCount: 3,
      },
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      version: "1.0",
      timestamp: "2026-11-22T10:11:12.345Z",
      KafkaBatchInfo: {
        batchSize: 3,
        eventSourceArn: envelope.eventSourceArn,
        bootstrapServers: "127.0.0.1:9092",
        recordsInfo: {
          "user-events-0": { firstRecordOffset: "10", lastRecordOffset: "11" },
          "user-events-2": { firstRecordOffset: "7", lastRecordOffset: "7" },
        },
      },
    });
    const payload = JSON.parse(document.payload);
    expect(Object.keys(payload.records)).toEqual(["user-events-0", "user-events-2"]);
    expect(document.KafkaBatchInfo.payloadSize).toBe(Buffer.byteLength(document.payload));
  });

  it("has no functionError or status for records that were never sent", () => {
    const document = buildS3FailureDocument(
      { ...failed, condition: "RecordAgeExceeded", invokeCount: 0, functionError: undefined },
      context,
    );

    expect(document.responseContext).toEqual({ executedVersion: "$LATEST" });
  });
});

describe("buildKafkaFailureMessages", () => {
  it("writes one message per record with its original key and a one-record payload", () => {
    const messages = buildKafkaFailureMessages(failed, context);

    expect(messages).toHaveLength(3);
    expect(messages[0]?.key?.toString()).toBe("k-10");
    const value = JSON.parse(messages[2]?.value ?? "{}");
    expect(value.KafkaBatchInfo).toMatchObject({ batchSize: 1, recordInfo: { offset: "7" } });
    expect(Object.keys(JSON.parse(value.payload).records)).toEqual(["user-events-2"]);
    expect(value.requestContext.condition).toBe("RetryAttemptsExhausted");
  });
});

describe("s3FailureObjectKey", () => {
  it("follows AWS's layout under the prefix and is stable for the same batch", () => {
    const uuid = mappingUuid("group-1");

    const key = s3FailureObjectKey("on-failure", uuid, failed);

    expect(key).toMatch(
      new RegExp(
        `^on-failure/aws/lambda/${uuid}/user-events-0/2026/11/22/2026-11-22T10\\.11\\.12-[0-9a-f-]{36}$`,
      ),
    );
    expect(s3FailureObjectKey("on-failure", uuid, failed)).toBe(key);
    expect(s3FailureObjectKey("", uuid, failed).startsWith("aws/lambda/")).toBe(true);
    expect(mappingUuid("group-1")).toBe(uuid);
  });
});

describe("a record whose timestamp is outside JavaScript's date range", () => {
  // A producer writing nanoseconds: 1.7e18 is far past Date's limit of 8.64e15 ms.
  const nanoseconds = "1763800000000000000";
  const outOfRange: FailedBatch = {
    ...failed,
    records: [
      toPolledRecord("user-events", 1, message(5, '{"n":5}', { timestamp: nanoseconds })),
      toPolledRecord("user-events", 1, message(6, '{"n":6}')),
    ],
  };

  it("still gets an S3 document, its time given as the raw milliseconds", () => {
    const document = buildS3FailureDocument(outOfRange, context);

    expect(document.KafkaBatchInfo.recordsInfo["user-events-1"]).toMatchObject({
      firstRecordArrivalTime: String(Number(nanoseconds)),
      lastRecordArrivalTime: "2025-11-22T08:26:40.006Z",
    });
  });

  it("still gets its Kafka message", () => {
    const [first] = buildKafkaFailureMessages(outOfRange, context);

    expect(JSON.parse(first?.value ?? "{}").KafkaBatchInfo.recordInfo).toEqual({
      offset: "5",
      timestamp: String(Number(nanoseconds)),
    });
  });
});
