/**
 * The roles grant exactly what the functions' code calls (issue 9, item 18): the AWS SDK calls of
 * each bundle (see sdkCalls.ts) against the DynamoDB, S3, Secrets Manager and KMS actions of each
 * role, in both directions. A grant that no code path uses fails here, and so does a new call that
 * the role would refuse in AWS.
 *
 * Kafka actions (kafka-cluster:*) come from kafkajs's protocol, not SDK commands; the IAM tests of
 * KafkaLambdaPipeline.*.test.ts pin them.
 */
import { Duration } from "aws-cdk-lib";
import type { Template } from "aws-cdk-lib/assertions";
import * as kms from "aws-cdk-lib/aws-kms";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { beforeAll, describe, expect, it } from "vitest";
import { MAPPING_ONLY_STATEMENTS } from "../../infra/constructs/PipelineGrants";
import { type SdkCall, sdkCallsOf, type TableResource } from "./sdkCalls";
import { mskSource, roleStatements, selfManagedSource, synthPipeline } from "./stacks";

const SDK_SERVICES = /^(dynamodb|s3|secretsmanager|kms):/;
const KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9";

interface FunctionUnderTest {
  readonly entry: string;
  readonly rolePrefix: string;
}

const FUNCTIONS: readonly FunctionUnderTest[] = [
  { entry: "functions/processor/handler.ts", rolePrefix: "PipelineProcessorRole" },
  { entry: "functions/redrive/handler.ts", rolePrefix: "PipelineRedriveRole" },
];

interface Deployment {
  readonly template: Template;
  /** Self-managed Kafka reads its credentials from Secrets Manager; MSK (IAM auth) never does. */
  readonly readsSecrets: boolean;
  readonly secretsKey: boolean;
  /** The redrive's on-failure replay (S3OnFailureDocumentStore) has batches to read only with S3. */
  readonly onFailureInS3: boolean;
}

const deployments = new Map<string, Deployment>();
const calls = new Map<string, SdkCall[]>();

beforeAll(async () => {
  deployments.set("MSK, S3 on-failure destination", {
    template: synthPipeline((stack) => ({ source: mskSource(stack) })).template,
    readsSecrets: false,
    secretsKey: false,
    onFailureInS3: true,
  });
  deployments.set("self-managed SCRAM, private CA, customer-managed key, Kafka on-failure topic", {
    template: synthPipeline((stack) => ({
      source: selfManagedSource(stack, {
        rootCaSecret: secretsmanager.Secret.fromSecretCompleteArn(
          stack,
          "RootCa",
          "arn:aws:secretsmanager:eu-west-1:111122223333:secret:kafka/root-ca-XyZ789",
        ),
        secretsKey: kms.Key.fromKeyArn(stack, "SecretsKey", KEY_ARN),
      }),
      onFailure: { type: "kafka", topic: "pipeline.on-failure" },
      maxRecordAge: Duration.hours(1),
    })).template,
    readsSecrets: true,
    secretsKey: true,
    onFailureInS3: false,
  });
  for (const { entry } of FUNCTIONS) calls.set(entry, await sdkCallsOf(entry));
  // Two synths and two bundles: 4 s alone, but beside the integration files and the stack's JVMs on
  // two cores a fresh-clone CI run once spent more than 120 s here (and 166 s in the next, before
  // sdkCalls.ts stopped resolving packages' relative imports twice).
}, 300_000);

/** `action` or `action on table`, the unit both sides are compared in. */
function grantsOfCode(entry: string, deployment: Deployment): Set<string> {
  const used = new Set<string>();
  for (const call of calls.get(entry) ?? []) {
    if (call.action.startsWith("secretsmanager:") && !deployment.readsSecrets) continue;
    if (/OnFailure/.test(call.file) && !deployment.onFailureInS3) continue;
    if (call.tables.length === 0) used.add(call.action);
    for (const table of call.tables) used.add(`${call.action} on ${table}`);
    // Reading a secret encrypted with a customer-managed key needs kms:Decrypt on the key
    // (https://docs.aws.amazon.com/lambda/latest/dg/with-kafka-permissions.html).
    if (call.action === "secretsmanager:GetSecretValue" && deployment.secretsKey) used.add("kms:Decrypt");
  }
  return used;
}

function tableOf(resource: unknown): TableResource | undefined {
  const text = JSON.stringify(resource);
  const table = /PipelineDeadLetterTable/.test(text)
    ? "deadLetters"
    : /PipelineAttemptsTable/.test(text)
      ? "attempts"
      : undefined;
  if (table === undefined) return undefined;
  return text.includes("/index/") ? `${table}/index` : table;
}

function grantsOfRole(template: Template, rolePrefix: string): Set<string> {
  const granted = new Set<string>();
  for (const statement of roleStatements(template, rolePrefix)) {
    if (statement.Effect !== "Allow") continue;
    if (MAPPING_ONLY_STATEMENTS.includes(String(statement.Sid))) continue;
    const actions = ([] as unknown[]).concat(statement.Action).map(String);
    const resources = ([] as unknown[]).concat(statement.Resource);
    for (const action of actions.filter((a) => SDK_SERVICES.test(a))) {
      if (!action.startsWith("dynamodb:")) {
        granted.add(action);
        continue;
      }
      for (const resource of resources) granted.add(`${action} on ${tableOf(resource) ?? "?"}`);
    }
  }
  return granted;
}

describe("the SDK calls are found in the bundles", () => {
  it("finds the calls every pipeline makes (a check on the search itself)", () => {
    const everything = { readsSecrets: true, secretsKey: false, onFailureInS3: true } as Deployment;
    const processor = grantsOfCode("functions/processor/handler.ts", everything);
    const redrive = grantsOfCode("functions/redrive/handler.ts", everything);

    expect(processor).toContain("s3:PutObject");
    expect(processor).toContain("dynamodb:UpdateItem on deadLetters");
    expect(processor).toContain("secretsmanager:GetSecretValue");
    expect(redrive).toContain("dynamodb:Query on deadLetters/index");
    expect(redrive).toContain("s3:GetObject");
  });
});

describe.each(FUNCTIONS)("$rolePrefix grants exactly what $entry calls", ({ entry, rolePrefix }) => {
  it.each([
    "MSK, S3 on-failure destination",
    "self-managed SCRAM, private CA, customer-managed key, Kafka on-failure topic",
  ])("%s", (name) => {
    const deployment = deployments.get(name) as Deployment;

    const used = grantsOfCode(entry, deployment);
    const granted = grantsOfRole(deployment.template, rolePrefix);

    expect({
      grantedButNeverCalled: [...granted].filter((g) => !used.has(g)).sort(),
      calledButNotGranted: [...used].filter((u) => !granted.has(u)).sort(),
    }).toEqual({ grantedButNeverCalled: [], calledButNotGranted: [] });
  });
});
