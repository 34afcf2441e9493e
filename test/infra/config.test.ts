import { readFileSync } from "node:fs";
import * as path from "node:path";
import { Match, Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import {
  AppConfigError,
  CONFIG_CONTEXT_KEY,
  CONFIG_FILE_CONTEXT_KEY,
  loadAppConfig,
  parseAppConfig,
} from "../../infra/config";
import { KafkaPipelineStack } from "../../infra/KafkaPipelineStack";
import { exampleStack, newApp, REPO_ROOT } from "./stacks";

const readJson = (file: string): unknown => JSON.parse(readFileSync(path.join(REPO_ROOT, file), "utf8"));
const context = (values: Record<string, unknown>) => ({ tryGetContext: (key: string) => values[key] });
const mskExample = () => structuredClone(readJson("infra/examples/msk.json")) as Record<string, unknown>;

function errorOf(act: () => unknown): Error {
  try {
    act();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error");
}

describe("app configuration", () => {
  it("ships cdk.json with the MSK example inline, so a fresh clone synthesizes", () => {
    const cdkJson = readJson("cdk.json") as { app: string; context: Record<string, unknown> };

    expect(cdkJson.app).toBe("npx tsx infra/app.ts");
    expect(cdkJson.context[CONFIG_CONTEXT_KEY]).toEqual(readJson("infra/examples/msk.json"));
    expect(loadAppConfig(context(cdkJson.context)).source.type).toBe("msk");
  });

  it.each(["infra/examples/msk.json", "infra/examples/self-managed.json"])(
    "accepts the example %s",
    (file) => {
      const config = loadAppConfig(context({ [CONFIG_FILE_CONTEXT_KEY]: file }), REPO_ROOT);

      expect(config.stackName).toMatch(/^KafkaLambdaPipeline/);
    },
  );

  it("lets a config file given with -c replace the inline context", () => {
    const values = {
      [CONFIG_CONTEXT_KEY]: mskExample(),
      [CONFIG_FILE_CONTEXT_KEY]: "infra/examples/self-managed.json",
    };

    expect(loadAppConfig(context(values), REPO_ROOT).source.type).toBe("self-managed");
  });

  it("accepts the inline context as a JSON string, as -c passes it", () => {
    const config = loadAppConfig(context({ [CONFIG_CONTEXT_KEY]: JSON.stringify(mskExample()) }));

    expect(config.production).toBe(true);
  });

  it("defaults the stack name and production mode", () => {
    const raw = mskExample();
    delete raw.stackName;
    delete raw.production;

    const config = parseAppConfig(raw, "test");

    expect(config.stackName).toBe("KafkaLambdaPipeline");
    expect(config.production).toBe(true);
  });

  it("explains where to put the configuration when there is none", () => {
    const error = errorOf(() => loadAppConfig(context({})));

    expect(error).toBeInstanceOf(AppConfigError);
    expect(error.message).toContain(`-c ${CONFIG_FILE_CONTEXT_KEY}=path/to/config.json`);
  });

  it.each<[string, (raw: Record<string, unknown>) => void, RegExp]>([
    [
      "a misspelled key",
      (raw) => {
        raw.batchSise = 10;
      },
      /kafkaPipeline: Unrecognized key: "batchSise"/,
    ],
    [
      "a subnet ID that is not one",
      (raw) => {
        (raw.source as Record<string, unknown>).subnetIds = ["my-subnet"];
      },
      /kafkaPipeline\.source\.subnetIds\.0: must look like subnet-0123456789abcdef0/,
    ],
    [
      "an unknown source type",
      (raw) => {
        (raw.source as Record<string, unknown>).type = "confluent";
      },
      /kafkaPipeline\.source\.type/,
    ],
    [
      "a retention CloudWatch does not offer",
      (raw) => {
        raw.processor = { logRetentionDays: 31 };
      },
      /kafkaPipeline\.processor\.logRetentionDays: must be one of 1, 3, 5/,
    ],
    [
      "a redrive option that does not exist",
      (raw) => {
        raw.redrive = { timeout: 600 };
      },
      /kafkaPipeline\.redrive/,
    ],
    [
      "a partial secret ARN",
      (raw) => {
        raw.source = { ...(readJson("infra/examples/self-managed.json") as { source: object }).source };
        (raw.source as Record<string, unknown>).secretArn =
          "arn:aws:secretsmanager:eu-west-1:111122223333:secret:kafka";
      },
      /kafkaPipeline\.source\.secretArn: must be the complete ARN/,
    ],
    [
      "a key alias instead of a key ARN",
      (raw) => {
        raw.source = { ...(readJson("infra/examples/self-managed.json") as { source: object }).source };
        (raw.source as Record<string, unknown>).secretsKmsKeyArn = "alias/kafka";
      },
      /kafkaPipeline\.source\.secretsKmsKeyArn: must be the ARN of a KMS key/,
    ],
    [
      "endpoints on something that is not a route table",
      (raw) => {
        raw.awsServiceAccess = { type: "create-endpoints", routeTableIds: ["subnet-0a1b2c3d4e5f60718"] };
      },
      /kafkaPipeline\.awsServiceAccess\.routeTableIds\.0: must look like rtb-/,
    ],
  ])("names the field of %s", (_name, mutate, message) => {
    const raw = mskExample();
    mutate(raw);

    const error = errorOf(() => parseAppConfig(raw, "test"));

    expect(error).toBeInstanceOf(AppConfigError);
    expect(error.message).toMatch(message);
  });

  it.each<[string, unknown, boolean]>([
    ["not configured (the default)", undefined, true],
    ["turned off with false", false, false],
    ["tuned with an object", { timeoutSeconds: 300, ratePerSecond: 20 }, true],
  ])("deploys the redrive function when %s", (_name, redrive, deployed) => {
    const raw = mskExample();
    if (redrive !== undefined) raw.redrive = redrive;

    const config = parseAppConfig(raw, "test");
    const stack = new KafkaPipelineStack(newApp(), "Test", { config });

    expect(stack.pipeline.redriveFunction !== undefined).toBe(deployed);
  });

  it("passes the redrive settings of the config to the function and names it in the outputs", () => {
    const template = Template.fromStack(exampleStack("infra/examples/self-managed.json"));

    template.hasResourceProperties("AWS::Lambda::Function", {
      Timeout: 600,
      Environment: { Variables: Match.objectLike({ REDRIVE_MAX_REDRIVES: "3", REDRIVE_RATE: "50" }) },
    });
    template.hasOutput("RedriveFunctionName", { Value: { Ref: Match.stringLikeRegexp("^PipelineRedrive") } });
  });

  it("refuses to synthesize an MSK stack whose config says neither endpoints nor NAT", () => {
    const raw = mskExample();
    delete raw.awsServiceAccess;

    const config = parseAppConfig(raw, "test");

    expect(() => new KafkaPipelineStack(newApp(), "Test", { config })).toThrow(
      /awsServiceAccess is required/,
    );
  });

  it("refuses an env.region other than the MSK cluster's", () => {
    const raw = mskExample();
    raw.env = { region: "us-east-1" };

    const config = parseAppConfig(raw, "test");

    expect(() => new KafkaPipelineStack(newApp(), "Test", { config })).toThrow(
      /env.region is us-east-1, but the MSK cluster .* is in eu-west-1/,
    );
  });

  it("passes the index retention and the secrets' key to the construct", () => {
    const raw = structuredClone(readJson("infra/examples/self-managed.json")) as Record<string, unknown>;
    raw.deadLetterRetentionDays = 30;
    (raw.source as Record<string, unknown>).secretsKmsKeyArn =
      "arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9";

    const template = Template.fromStack(
      new KafkaPipelineStack(newApp(), "Test", { config: parseAppConfig(raw, "test") }),
    );

    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ DEAD_LETTER_RETENTION_DAYS: "30" }) },
    });
    expect(JSON.stringify(template.toJSON())).toContain('"Sid":"DecryptKafkaSecrets"');
  });

  it("reports a config file that is not JSON", () => {
    const error = errorOf(() =>
      loadAppConfig(context({ [CONFIG_FILE_CONTEXT_KEY]: "infra/app.ts" }), REPO_ROOT),
    );

    expect(error.message).toMatch(/is not JSON/);
  });
});
