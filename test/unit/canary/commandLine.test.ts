import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../functions/lib/core/errors";
import { type CanaryCommand, parseCanaryCommandLine } from "../../../tools/canary/commandLine";
import { deploymentFromOutputs, localDeployment } from "../../../tools/canary/deployment";
import { readOutputsFile, type StackOutputs } from "../../../tools/canary/stackOutputs";

const parse = (...argv: string[]) => {
  const line = parseCanaryCommandLine(argv);
  if (line.help) throw new Error("unexpected help");
  return line as CanaryCommand;
};

describe("canary command line", () => {
  it("reads a stack, an outputs file or the local stack, with the wait each defaults to", () => {
    expect(parse("--stack", "Shop").source).toEqual({ kind: "stack", stack: "Shop" });
    expect(parse("--outputs", "out.json").source).toEqual({
      kind: "outputs",
      file: "out.json",
      stack: undefined,
    });
    expect(parse("--outputs", "out.json", "--stack", "Shop").source).toEqual({
      kind: "outputs",
      file: "out.json",
      stack: "Shop",
    });
    expect(parse("--local")).toMatchObject({
      source: { kind: "local", topic: "local.canary" },
      waitMs: 60_000,
    });
    expect(parse("--stack", "Shop").waitMs).toBe(120_000);
    expect(parseCanaryCommandLine(["--help"])).toEqual({ help: true });
  });

  it("turns the Kafka flags into the variables the functions read", () => {
    const line = parse(
      "--stack",
      "Shop",
      "--brokers",
      "b-1:9096",
      "--ssl",
      "--auth",
      "scram-sha-512",
      "--sasl-secret-arn",
      "arn:aws:secretsmanager:eu-west-1:111122223333:secret:k-AbC123",
      "--ca-secret-arn",
      "arn:aws:secretsmanager:eu-west-1:111122223333:secret:ca-AbC123",
    );

    expect(line.kafkaVariables).toEqual({
      KAFKA_BROKERS: "b-1:9096",
      KAFKA_SSL: "true",
      KAFKA_AUTH: "scram-sha-512",
      KAFKA_SASL_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:k-AbC123",
      KAFKA_CA_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:ca-AbC123",
    });
  });

  it.each([
    [[], /name the deployment: --stack <name>/],
    [["--local", "--stack", "Shop"], /--local proves the local stack/],
    [
      ["--stack", "Shop", "--item-identifier-key", "partition"],
      /--item-identifier-key goes with --local only/,
    ],
    [["--stack", "Shop", "--topic", "x"], /--topic goes with --local only/],
    [["--local", "--item-identifier-key", "key"], /must be one of partition, topic-partition, got "key"/],
    [
      ["--stack", "Shop", "--auth", "kerberos"],
      /--auth must be one of none, iam, scram-sha-256, scram-sha-512/,
    ],
    [["--stack", "Shop", "--wait-s", "2"], /--wait-s must be whole seconds from 5 to 900/],
    [["--stack", "Shop", "--nope"], /Unknown option '--nope'/],
    [["--stack"], /argument missing/],
    [["--local", "--topic", "a b"], /--topic must be a Kafka topic name/],
    [["Shop"], /takes no arguments, got "Shop"/],
  ])("refuses %j as bad input", (argv, message) => {
    expect(() => parseCanaryCommandLine(argv)).toThrow(
      expect.objectContaining({ name: "CanaryUsageError", message: expect.stringMatching(message) }),
    );
  });
});

describe("cdk outputs file", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "canary-outputs-"));
  const file = (name: string, content: unknown) => {
    const full = path.join(dir, name);
    writeFileSync(full, typeof content === "string" ? content : JSON.stringify(content));
    return full;
  };

  it("takes the only stack, or the one named", () => {
    const one = file("one.json", { Shop: { CanaryTopic: "Shop.canary" } });
    const two = file("two.json", {
      Shop: { CanaryTopic: "Shop.canary" },
      Staging: { CanaryTopic: "Staging.canary" },
    });

    expect(readOutputsFile(one, undefined)).toEqual({
      stackName: "Shop",
      outputs: { CanaryTopic: "Shop.canary" },
    });
    expect(readOutputsFile(two, "Staging").outputs).toEqual({ CanaryTopic: "Staging.canary" });
    expect(() => readOutputsFile(two, undefined)).toThrow(
      /holds 2 stacks; name one with --stack: Shop, Staging/,
    );
    expect(() => readOutputsFile(two, "Prod")).toThrow(/has no stack "Prod" \(it has Shop, Staging\)/);
    expect(() => readOutputsFile(file("bad.json", "{"), undefined)).toThrow(/cannot be read as JSON/);
    expect(() => readOutputsFile(path.join(dir, "missing.json"), undefined)).toThrow(
      /cannot be read as JSON/,
    );
  });
});

describe("the deployment a run proves", () => {
  const outputs: StackOutputs = {
    stackName: "Shop",
    outputs: {
      ProcessorFunctionName: "Shop-PipelineProcessor-1",
      ArchiveBucketName: "shop-archive",
      DeadLetterTableName: "Shop-DeadLetters",
      AttemptsTableName: "Shop-Attempts",
      CanaryTopic: "Shop.canary",
      CanaryTargetTopic: "Shop.canary.out",
      CanaryDlqTopic: "Shop.canary.dlq",
      ArchivePrefix: "dead-letters",
      FailureKeyName: "topic-partition",
      Region: "eu-west-1",
      KafkaBootstrapBrokers: "b-1.shop:9098,b-2.shop:9098",
      KafkaSsl: "true",
      KafkaAuth: "iam",
    },
  };

  it("connects as the processor does, from the outputs, never from the shell's KAFKA_* variables", () => {
    const stray = { KAFKA_BROKERS: "127.0.0.1:9092", KAFKA_AUTH: "none", KAFKA_SASL_SECRET_ARN: "arn:x" };

    const deployment = deploymentFromOutputs(outputs, parse("--stack", "Shop"), stray, "eu-west-1");

    expect(deployment.topics).toEqual({
      source: "Shop.canary",
      target: "Shop.canary.out",
      dlq: "Shop.canary.dlq",
    });
    expect(deployment.functionName).toBe("Shop-PipelineProcessor-1");
    expect(deployment.config.kafka).toMatchObject({
      brokers: ["b-1.shop:9098", "b-2.shop:9098"],
      ssl: true,
      auth: "iam",
      saslSecretArn: undefined,
    });
    expect(deployment.config.aws).toMatchObject({
      region: "eu-west-1",
      s3Endpoint: undefined,
      dynamodbEndpoint: undefined,
    });
    expect(deployment.config.archive).toEqual({ bucket: "shop-archive", prefix: "dead-letters" });
    expect(deployment.config.tables).toEqual({ deadLetters: "Shop-DeadLetters", attempts: "Shop-Attempts" });
    expect(deployment.config.processing.failureKeyName).toBe("topic-partition");
  });

  it("lets flags override the outputs", () => {
    const deployment = deploymentFromOutputs(
      outputs,
      parse("--stack", "Shop", "--brokers", "tunnel:9098"),
      {},
      "eu-west-1",
    );

    expect(deployment.config.kafka.brokers).toEqual(["tunnel:9098"]);
  });

  it("says how to deploy the canary when the stack has none, and rejects a malformed flag value", () => {
    const { CanaryTopic: _gone, ...withoutCanary } = outputs.outputs;

    expect(() =>
      deploymentFromOutputs(
        { ...outputs, outputs: withoutCanary },
        parse("--stack", "Shop"),
        {},
        "eu-west-1",
      ),
    ).toThrow(/stack "Shop" has no output CanaryTopic: deploy it with "canary": true/);
    expect(() =>
      deploymentFromOutputs(outputs, parse("--stack", "Shop", "--brokers", "nope"), {}, "eu-west-1"),
    ).toThrow(ConfigError);
  });

  it("uses the local stack's defaults with --local", () => {
    const deployment = localDeployment(parse("--local"), { KAFKA_PORT: "49092" }, "local.canary");

    expect(deployment.local).toBe(true);
    expect(deployment.config.kafka.brokers).toEqual(["127.0.0.1:49092"]);
    expect(deployment.config.aws.s3Endpoint).toBe("http://127.0.0.1:9000");
  });
});
