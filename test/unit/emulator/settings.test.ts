import { describe, expect, it } from "vitest";
import { parseCliArgs } from "../../../emulator/cliArgs";
import { MappingSettingError } from "../../../emulator/errors";
import { parseOnFailureTarget, resolveMappingSettings } from "../../../emulator/settings";

describe("resolveMappingSettings", () => {
  it("applies AWS's defaults", () => {
    expect(resolveMappingSettings({ topics: ["orders"] })).toMatchObject({
      batchSize: 100,
      batchingWindowMs: 500,
      retryAttempts: -1,
      maxRecordAgeS: -1,
      bisectBatchOnError: false,
      reportBatchItemFailures: true,
      itemIdentifierKey: "partition",
      eventSource: "SelfManagedKafka",
      eventSourceArn: undefined,
      timeoutMs: 60_000,
      groupId: "emulator-orders",
      partialFailuresCountAsRetries: false,
      memorySizeMb: 512,
    });
  });

  it("caps infinite retries at 10 when an on-failure destination is set, as Lambda does", () => {
    expect(
      resolveMappingSettings({ topics: ["orders"], onFailure: "kafka://orders.failed" }).retryAttempts,
    ).toBe(10);
    expect(
      resolveMappingSettings({ topics: ["orders"], onFailure: "kafka://x", retryAttempts: 50 }).retryAttempts,
    ).toBe(50);
  });

  it("gives aws:kafka an MSK cluster ARN", () => {
    expect(resolveMappingSettings({ topics: ["o"], eventSource: "aws:kafka" }).eventSourceArn).toMatch(
      /^arn:aws:kafka:/,
    );
  });

  it.each([
    [{ batchSize: 0 }, /batchSize must be an integer in 1..10000/],
    [{ batchSize: 10_001 }, /batchSize/],
    [{ retryAttempts: -2 }, /retryAttempts/],
    [{ maxRecordAgeS: 30 }, /maxRecordAgeS must be -1 \(infinite\) or 60..604800/],
    [{ timeoutS: 901 }, /timeoutS/],
    [{ memorySizeMb: 64 }, /memorySizeMb must be an integer in 128..10240/],
    [{ onFailure: "kafka://orders" }, /is a source topic/],
    [{ onFailure: "sqs://queue" }, /must be s3:\/\/bucket\[\/prefix\] or kafka:\/\/topic/],
    [{ topics: [] }, /topics must name at least one topic/],
  ])("refuses %o", (override, message) => {
    expect(() => resolveMappingSettings({ topics: ["orders"], ...override })).toThrow(message);
  });
});

describe("parseOnFailureTarget", () => {
  it.each([
    ["s3://dead-letters-local", { type: "s3", bucket: "dead-letters-local", prefix: "" }],
    [
      "s3://dead-letters-local/on-failure/",
      { type: "s3", bucket: "dead-letters-local", prefix: "on-failure" },
    ],
    ["kafka://orders.failed", { type: "kafka", topic: "orders.failed" }],
  ])("%s", (text, expected) => {
    expect(parseOnFailureTarget(text)).toEqual(expected);
  });
});

describe("parseCliArgs", () => {
  const base = ["--handler", "functions/processor/handler.ts", "--topics", "employees,user-events"];

  it("maps every flag onto the mapping settings", () => {
    const parsed = parseCliArgs(
      [
        ...base,
        "--batch-size=50",
        "--batching-window-ms=0",
        "--retry-attempts=3",
        "--max-record-age-s=120",
        "--bisect",
        "--no-partial-responses",
        "--item-identifier-key=topic-partition",
        "--on-failure=s3://bucket-1/p",
        "--timeout-s=2.5",
        "--event-source=aws:kafka",
        "--sasl-mechanism=scram-sha-512",
        "--sasl-username=u",
        "--ssl",
        "--env=A=1=2",
        "--until-idle-ms=3000",
        "--concurrency=3",
        "--bundle",
        "--sandbox",
        "--memory-mb=1024",
      ],
      { EMULATOR_SASL_PASSWORD: "p" },
    );

    expect(parsed.help).toBe(false);
    if (parsed.help) return;
    expect(parsed.handlerExport).toBe("handler");
    expect(parsed.bundle).toBe(true);
    expect(parsed.sandbox).toBe(true);
    expect(parsed.settings).toMatchObject({
      topics: ["employees", "user-events"],
      batchSize: 50,
      batchingWindowMs: 0,
      retryAttempts: 3,
      maxRecordAgeS: 120,
      bisectBatchOnError: true,
      reportBatchItemFailures: false,
      itemIdentifierKey: "topic-partition",
      onFailure: "s3://bucket-1/p",
      timeoutS: 2.5,
      eventSource: "aws:kafka",
      concurrency: 3,
      memorySizeMb: 1024,
    });
    expect(parsed.connection).toMatchObject({
      brokers: ["127.0.0.1:9092"],
      ssl: true,
      sasl: { mechanism: "scram-sha-512", username: "u", password: "p" },
    });
    expect(parsed.env).toEqual({ A: "1=2" });
    expect(parsed.untilIdleMs).toBe(3_000);
  });

  it("reads module#export and brokers from the environment", () => {
    const parsed = parseCliArgs(["--handler", "h.ts#main", "--topics", "t"], { KAFKA_BROKERS: "a:1,b:2" });

    expect(parsed).toMatchObject({
      handlerModule: "h.ts",
      handlerExport: "main",
      connection: { brokers: ["a:1", "b:2"] },
    });
  });

  it.each([
    [["--topics", "t"], /--handler is required/],
    [["--handler", "h.ts"], /--topics is required/],
    [[...base, "--batch-size", "ten"], /--batch-size must be an integer/],
    [[...base, "--brokers", "localhost"], /--brokers must be comma-separated host:port/],
    [[...base, "--event-source", "msk"], /--event-source must be one of/],
    [[...base, "--sasl-mechanism", "plain"], /--sasl-username is required/],
    [[...base, "--env", "=x"], /--env must be KEY=VALUE/],
    [[...base, "--bogus"], /Unknown option '--bogus'/],
  ])("refuses %j with one line naming the flag", (argv, message) => {
    expect(() => parseCliArgs(argv, {})).toThrow(MappingSettingError);
    expect(() => parseCliArgs(argv, {})).toThrow(message);
  });
});

describe("parseCliArgs: the mapping's schema registry", () => {
  const base = ["--handler", "functions/processor/handler.ts", "--topics", "card-payments"];

  it("reads the registry URL and the event record format (JSON by default)", () => {
    const json = parseCliArgs([...base, "--schema-registry", "http://127.0.0.1:8081/apis/ccompat/v7"], {});
    const source = parseCliArgs(
      [...base, "--schema-registry=http://r:8081", "--event-record-format=SOURCE"],
      {},
    );

    expect(json.help === false && json.schemaRegistry).toEqual({
      url: "http://127.0.0.1:8081/apis/ccompat/v7",
      eventRecordFormat: "JSON",
    });
    expect(source.help === false && source.schemaRegistry).toEqual({
      url: "http://r:8081",
      eventRecordFormat: "SOURCE",
    });
  });

  it.each([
    [["--event-record-format=JSON"], /--event-record-format needs --schema-registry/],
    [["--schema-registry=ftp://x"], /--schema-registry must be an http\(s\) URL/],
    [
      ["--schema-registry=http://x", "--event-record-format=AVRO"],
      /--event-record-format must be one of JSON, SOURCE/,
    ],
  ])("refuses %j", (flags, message) => {
    expect(() => parseCliArgs([...base, ...flags], {})).toThrow(message);
  });
});
