import { describe, expect, it } from "vitest";
import { translateAwsError } from "../../../functions/lib/adapters/awsErrors";
import { translateKafkaError } from "../../../functions/lib/adapters/kafkaErrors";
import { isRetriable, ProduceRejectedError, TransientError } from "../../../functions/lib/core/errors";

const kafkajsProtocolError = (type: string, retriable: boolean) =>
  Object.assign(new Error(`broker said ${type}`), { name: "KafkaJSProtocolError", type, retriable });
const retriesExceeded = (cause: Error) =>
  Object.assign(new Error(cause.message), {
    name: "KafkaJSNumberOfRetriesExceeded",
    retriable: false,
    cause,
    originalError: cause,
  });

describe("translateKafkaError", () => {
  it.each([
    ["UNKNOWN_TOPIC_OR_PARTITION", true],
    ["NOT_LEADER_FOR_PARTITION", true],
    ["TOPIC_AUTHORIZATION_FAILED", false],
  ])(
    "treats %s, even wrapped in retries-exceeded, as transient: data is never dropped for it",
    (type, retriable) => {
      const translated = translateKafkaError(retriesExceeded(kafkajsProtocolError(type, retriable)), "t");

      expect(translated).toBeInstanceOf(TransientError);
      expect(translated.message).toContain(type);
      expect(isRetriable(translated)).toBe(true);
    },
  );

  it.each(["MESSAGE_TOO_LARGE", "RECORD_LIST_TOO_LARGE", "INVALID_RECORD"])(
    "treats %s as a rejection of the records",
    (type) => {
      const translated = translateKafkaError(retriesExceeded(kafkajsProtocolError(type, false)), "t");

      expect(translated).toBeInstanceOf(ProduceRejectedError);
      expect(isRetriable(translated)).toBe(false);
    },
  );

  it("passes bugs through untouched", () => {
    const bug = new TypeError("x is undefined");

    expect(translateKafkaError(bug, "t")).toBe(bug);
  });
});

describe("translateAwsError", () => {
  const awsError = (name: string, status?: number) =>
    Object.assign(new Error(name), {
      name,
      $metadata: status === undefined ? {} : { httpStatusCode: status },
    });

  it.each([
    ["SlowDown", 503, true],
    ["InternalError", 500, true],
    ["ProvisionedThroughputExceededException", 400, true],
    ["ThrottlingException", 400, true],
    ["ECONNREFUSED", undefined, true],
    ["AccessDenied", 403, false],
    ["NoSuchBucket", 404, false],
  ])("%s (%s) is retriable: %s", (name, status, retriable) => {
    expect(isRetriable(translateAwsError(awsError(name, status), "put"))).toBe(retriable);
  });
});
