import { describe, expect, it } from "vitest";
import { lambdaHeapFlags, sandboxEnvironment } from "../../../../emulator/sandbox/sandboxLaunch";

describe("lambdaHeapFlags", () => {
  it.each([
    [128, ["--max-semi-space-size=6", "--max-old-space-size=115"]],
    [512, ["--max-semi-space-size=25", "--max-old-space-size=460"]],
    [1769, ["--max-semi-space-size=88", "--max-old-space-size=1592"]],
  ])("gives %i MB a 5%% semi-space and a 90%% old space, as Lambda's bootstrap does", (memory, flags) => {
    expect(lambdaHeapFlags(memory, undefined)).toEqual(flags);
  });

  it.each(["--max-old-space-size=300", "--max_semi_space_size=8 --enable-source-maps"])(
    "adds neither flag when NODE_OPTIONS sets one (%s)",
    (nodeOptions) => {
      expect(lambdaHeapFlags(512, nodeOptions)).toEqual([]);
    },
  );
});

describe("sandboxEnvironment", () => {
  const base = {
    functionName: "kafka-processor",
    functionArn: "arn:aws:lambda:eu-west-1:000000000000:function:kafka-processor",
    memorySizeMb: 1024,
    region: "eu-west-1",
    modulePath: "/tmp/bundle/index.mjs",
    exportName: "handler",
    sandboxId: "abc123",
    environment: { KAFKA_BROKERS: "127.0.0.1:29092" },
    inherited: {
      PATH: "/usr/bin",
      NODE_OPTIONS: "--import tsx",
      AWS_LAMBDA_FUNCTION_NAME: "x",
      AWS_REGION: "us-east-1",
    },
    endMarker: "~end~",
  };

  it("sets Lambda's reserved variables, never AWS_LAMBDA_FUNCTION_NAME, and drops the emulator's NODE_OPTIONS", () => {
    const env = sandboxEnvironment(base);

    expect(env).toMatchObject({
      PATH: "/usr/bin",
      KAFKA_BROKERS: "127.0.0.1:29092",
      AWS_REGION: "eu-west-1",
      AWS_DEFAULT_REGION: "eu-west-1",
      AWS_EXECUTION_ENV: "AWS_Lambda_nodejs24.x",
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1024",
      AWS_LAMBDA_LOG_GROUP_NAME: "/aws/lambda/kafka-processor",
      LAMBDA_TASK_ROOT: "/tmp/bundle",
      _HANDLER: "index.handler",
      TZ: ":UTC",
    });
    expect(env.AWS_LAMBDA_LOG_STREAM_NAME).toMatch(/^\d{4}\/\d\d\/\d\d\/\[\$LATEST\]abc123$/);
    expect(env).not.toHaveProperty("AWS_LAMBDA_FUNCTION_NAME");
    expect(env).not.toHaveProperty("NODE_OPTIONS");
  });

  it("keeps NODE_OPTIONS the function itself sets", () => {
    expect(
      sandboxEnvironment({ ...base, environment: { NODE_OPTIONS: "--enable-source-maps" } }).NODE_OPTIONS,
    ).toBe("--enable-source-maps");
  });
});
