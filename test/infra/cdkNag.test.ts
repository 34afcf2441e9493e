import type { PolicyValidationPluginReport, Stack } from "aws-cdk-lib";
import { type App, RemovalPolicy, Validations } from "aws-cdk-lib";
import * as kms from "aws-cdk-lib/aws-kms";
import { AwsSolutionsChecks } from "cdk-nag";
import type { IConstruct } from "constructs";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadAppConfig } from "../../infra/config";
import { KafkaLambdaPipeline } from "../../infra/constructs/KafkaLambdaPipeline";
import { KafkaPipelineStack } from "../../infra/KafkaPipelineStack";
import { exampleStack, newApp, newStack, REPO_ROOT, selfManagedSource } from "./stacks";

interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** Every `Validations.of(x).acknowledge()` in the tree, with the construct it is attached to. */
function acknowledgements(scope: IConstruct): Acknowledgement[] {
  return scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ""),
          reason,
        })),
      ),
  );
}

function findings(report: PolicyValidationPluginReport): string[] {
  return report.violations.map(
    (v) => `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(", ")}`,
  );
}

/**
 * Runs the checks as if nothing were acknowledged, to prove each acknowledgement silences a real finding,
 * as `<role path> <rule>`: a role's policy is reported, the role carries the acknowledgement.
 */
function findingsIgnoringAcknowledgements(stack: Stack): string[] {
  const key = Object.getOwnPropertyDescriptor(Validations, "ACKNOWLEDGED_RULES_METADATA_KEY");
  Object.defineProperty(Validations, "ACKNOWLEDGED_RULES_METADATA_KEY", { value: "no-acknowledgements" });
  try {
    return new AwsSolutionsChecks()
      .validateScope(stack)
      .violations.flatMap((v) =>
        v.violatingResources.map(
          (r) => `${(r.constructPath ?? "").replace(/\/DefaultPolicy\/Resource$/, "")} ${v.ruleName}`,
        ),
      );
  } finally {
    if (key !== undefined) Object.defineProperty(Validations, "ACKNOWLEDGED_RULES_METADATA_KEY", key);
  }
}

const stacks = new Map<string, Stack>();

beforeAll(() => {
  stacks.set("MSK example (cdk.json)", exampleStack("infra/examples/msk.json"));
  stacks.set("self-managed SCRAM example", exampleStack("infra/examples/self-managed.json"));
  const mtls = newStack("MtlsNoVpc");
  new KafkaLambdaPipeline(mtls, "Pipeline", {
    source: selfManagedSource(mtls, { authentication: "mtls" }, false),
  });
  stacks.set("self-managed mTLS without VPC", mtls);
  const endpoints = newStack("ScramEndpoints");
  new KafkaLambdaPipeline(endpoints, "Pipeline", {
    source: selfManagedSource(endpoints, {
      secretsKey: kms.Key.fromKeyArn(
        endpoints,
        "SecretsKey",
        "arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9",
      ),
    }),
    awsServiceAccess: { type: "create-endpoints", routeTableIds: ["rtb-0a1b2c3d4e5f60718"] },
    removalPolicy: RemovalPolicy.DESTROY,
  });
  stacks.set("self-managed SCRAM in a VPC with endpoints, a customer key, throw-away", endpoints);
}, 120_000);

const STACKS = [
  "MSK example (cdk.json)",
  "self-managed SCRAM example",
  "self-managed mTLS without VPC",
  "self-managed SCRAM in a VPC with endpoints, a customer key, throw-away",
];

afterEach(() => {
  expect(Validations.ACKNOWLEDGED_RULES_METADATA_KEY).not.toBe("no-acknowledgements");
});

describe("cdk-nag AwsSolutions", () => {
  it.each(STACKS)("finds no unacknowledged error or warning in the %s stack", (name) => {
    const stack = stacks.get(name) as Stack;

    const report = new AwsSolutionsChecks().validateScope(stack);

    expect(findings(report)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it("lets the app synthesize with the checks registered the way infra/app.ts registers them", () => {
    const app = newApp({ context: { kafkaPipelineConfigFile: "infra/examples/self-managed.json" } });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    exampleStackIn(app);

    expect(() => app.synth()).not.toThrow();
  });

  it("acknowledges only IAM5 findings, each on a function's role, for one exact resource, with a reason", () => {
    const acknowledged = acknowledgements(stacks.get("MSK example (cdk.json)") as Stack);

    const underArchive = (prefix: string) =>
      expect.stringMatching(
        new RegExp(`^AwsSolutions-IAM5\\[Resource::<PipelineArchiveBucket\\w+\\.Arn>/${prefix}/\\*\\]$`),
      );
    expect(acknowledged.map((a) => [a.path, a.id])).toEqual(
      ["ProcessorRole", "RedriveRole"].flatMap((role) => [
        [`KafkaLambdaPipeline/Pipeline/${role}`, "AwsSolutions-IAM5[Resource::*]"],
        [`KafkaLambdaPipeline/Pipeline/${role}`, underArchive("dead-letters")],
        [`KafkaLambdaPipeline/Pipeline/${role}`, underArchive("aws/lambda")],
      ]),
    );
    for (const { reason } of acknowledged) expect(reason.length).toBeGreaterThan(60);
    expect(acknowledged.filter((a) => a.path.endsWith("RedriveRole")).map((a) => a.reason)).toEqual([
      expect.stringContaining("network-interface"),
      expect.stringMatching(/^s3:GetObject only, only under "dead-letters\/"/),
      expect.stringMatching(/^s3:GetObject only, only under "aws\/lambda\/"/),
    ]);
  });

  it.each(STACKS)(
    "has no stale acknowledgement in the %s stack: each one silences a finding that exists",
    (name) => {
      const stack = stacks.get(name) as Stack;

      const raw = findingsIgnoringAcknowledgements(stack);

      expect(raw.sort()).toEqual(
        acknowledgements(stack)
          .map((a) => `${a.path} ${a.id}`)
          .sort(),
      );
    },
  );
});

/** Same wiring as infra/app.ts, in an app whose plugin registration the test controls. */
function exampleStackIn(app: App): void {
  const config = loadAppConfig(app.node, REPO_ROOT);
  new KafkaPipelineStack(app, config.stackName, { config });
}
