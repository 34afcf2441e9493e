import { Match } from "aws-cdk-lib/assertions";
import * as kms from "aws-cdk-lib/aws-kms";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { beforeAll, describe, expect, it } from "vitest";
import {
  functionEnvironment,
  functionProperties,
  policyStatements,
  roleStatements,
  SECRET_ARN,
  type Synthesized,
  selfManagedSource,
  synthPipeline,
} from "./stacks";

const ROOT_CA_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:kafka/root-ca-XyZ789";
const KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9";

let scram: Synthesized;
let mtls: Synthesized;
let keyed: Synthesized;

beforeAll(() => {
  scram = synthPipeline((stack) => ({
    source: selfManagedSource(stack, {
      rootCaSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, "RootCa", ROOT_CA_ARN),
    }),
    pipelines: [
      { source: "orders", target: "orders.enriched", dlq: "orders.dead", consumerGroupId: "orders-app" },
    ],
    onFailure: { type: "kafka", topic: "pipeline.on-failure" },
  }));
  mtls = synthPipeline((stack) => ({ source: selfManagedSource(stack, { authentication: "mtls" }, false) }));
  keyed = synthPipeline((stack) => ({
    source: selfManagedSource(stack, {
      rootCaSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, "RootCa", ROOT_CA_ARN),
      secretsKey: kms.Key.fromKeyArn(stack, "SecretsKey", KEY_ARN),
    }),
  }));
}, 120_000);

function environment({ template }: Synthesized): Record<string, unknown> {
  return functionEnvironment(template, "PipelineProcessor");
}

describe("self-managed Kafka with SASL/SCRAM in a VPC", () => {
  it("maps the topic from the bootstrap servers with the secret, root CA, subnets and security group", () => {
    scram.template.resourceCountIs("AWS::Lambda::EventSourceMapping", 1);
    scram.template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      SelfManagedEventSource: {
        Endpoints: { KafkaBootstrapServers: ["kafka-1.example.com:9096", "kafka-2.example.com:9096"] },
      },
      SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: "orders-app" },
      Topics: ["orders"],
      SourceAccessConfigurations: [
        { Type: "SASL_SCRAM_512_AUTH", URI: SECRET_ARN },
        { Type: "SERVER_ROOT_CA_CERTIFICATE", URI: ROOT_CA_ARN },
        { Type: "VPC_SECURITY_GROUP", URI: "sg-0a1b2c3d4e5f60718" },
        { Type: "VPC_SUBNET", URI: "subnet-0a1b2c3d4e5f60718" },
        { Type: "VPC_SUBNET", URI: "subnet-0f1e2d3c4b5a69788" },
      ],
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 3 },
      MaximumRetryAttempts: 5,
      BisectBatchOnFunctionError: true,
    });
  });

  it("sends exhausted batches to the Kafka on-failure topic", () => {
    scram.template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      DestinationConfig: { OnFailure: { Destination: "kafka://pipeline.on-failure" } },
    });
  });

  it("lets the function produce with the same SCRAM credentials", () => {
    expect(environment(scram)).toMatchObject({
      KAFKA_BROKERS: "kafka-1.example.com:9096,kafka-2.example.com:9096",
      KAFKA_SSL: "true",
      KAFKA_AUTH: "scram-sha-512",
      KAFKA_SASL_SECRET_ARN: SECRET_ARN,
      TOPIC_OVERRIDES: JSON.stringify({ orders: { target: "orders.enriched", dlq: "orders.dead" } }),
    });
  });

  it("reads only its two secrets and grants no MSK actions", () => {
    const statements = roleStatements(scram.template, "PipelineProcessorRole");
    const secrets = statements.filter((s) => JSON.stringify(s.Action).includes("secretsmanager:"));
    // GetSecretValue only: what the mapping and kafkaClient.ts call (CDK's grantRead adds DescribeSecret).
    expect(secrets).toEqual([
      {
        Sid: "ReadKafkaSecrets",
        Effect: "Allow",
        Action: "secretsmanager:GetSecretValue",
        Resource: [SECRET_ARN, ROOT_CA_ARN].sort(),
      },
    ]);
    expect(JSON.stringify(statements)).not.toMatch(/kafka-cluster:|kafka:/);
  });

  it("grants no S3 on-failure access when the destination is a topic", () => {
    const sids = policyStatements(scram.template).map((s) => s.Sid);
    expect(sids).toContain("WriteArchiveObjects");
    expect(sids).not.toContain("WriteOnFailureBatches");
    expect(sids).not.toContain("ListArchiveForOnFailure");
  });
});

describe("self-managed Kafka with mTLS over the internet", () => {
  it("authenticates the mapping with the client certificate secret and no VPC", () => {
    mtls.template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      SourceAccessConfigurations: [{ Type: "CLIENT_CERTIFICATE_TLS_AUTH", URI: SECRET_ARN }],
      FunctionResponseTypes: ["ReportBatchItemFailures"],
    });
    mtls.template.resourceCountIs("AWS::Lambda::EventSourceMapping", 2);
  });

  it("runs the function outside any VPC, without network-interface permissions", () => {
    expect(functionProperties(mtls.template, "PipelineProcessor").VpcConfig).toBeUndefined();
    const statements = policyStatements(mtls.template);
    expect(statements.map((s) => s.Sid)).not.toContain("ManageVpcNetworkInterfaces");
    expect(JSON.stringify(statements.map((s) => s.Resource))).not.toContain('"*"');
  });

  it("hands the certificate secret to the function for its producer", () => {
    expect(environment(mtls)).toMatchObject({
      KAFKA_AUTH: "none",
      KAFKA_SSL: "true",
      KAFKA_TLS_SECRET_ARN: SECRET_ARN,
    });
  });

  it("keeps the S3 archive as the default on-failure destination", () => {
    mtls.template.allResourcesProperties("AWS::Lambda::EventSourceMapping", {
      DestinationConfig: {
        OnFailure: {
          Destination: { "Fn::GetAtt": [Match.stringLikeRegexp("PipelineArchiveBucket"), "Arn"] },
        },
      },
    });
  });
});

describe("a private CA and a customer-managed key for the secrets", () => {
  it.each(["PipelineProcessor", "PipelineRedrive"])(
    "gives %s the root CA secret the mapping verifies the brokers with",
    (fn) => {
      expect(functionEnvironment(scram.template, fn)).toMatchObject({ KAFKA_CA_SECRET_ARN: ROOT_CA_ARN });
      expect(functionEnvironment(mtls.template, fn)).not.toHaveProperty("KAFKA_CA_SECRET_ARN");
    },
  );

  it.each(["PipelineProcessorRole", "PipelineRedriveRole"])(
    "lets %s decrypt the secrets through Secrets Manager only, with that key only",
    (role) => {
      const decrypt = roleStatements(keyed.template, role).filter((s) =>
        JSON.stringify(s.Action).includes("kms:"),
      );

      expect(decrypt).toEqual([
        {
          Sid: "DecryptKafkaSecrets",
          Effect: "Allow",
          Action: "kms:Decrypt",
          Resource: KEY_ARN,
          Condition: {
            StringEquals: {
              "kms:ViaService": {
                "Fn::Join": ["", ["secretsmanager.", { Ref: "AWS::Region" }, ".amazonaws.com"]],
              },
            },
          },
        },
      ]);
    },
  );

  it("grants no kms action without a customer-managed key", () => {
    expect(JSON.stringify(policyStatements(scram.template))).not.toContain("kms:Decrypt");
  });
});
