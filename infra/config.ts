/**
 * The deployer's settings for `cdk synth` / `cdk deploy`: read from cdk.json context (`kafkaPipeline`)
 * or from a JSON file (`-c kafkaPipelineConfigFile=path`), validated before any construct is built so
 * a typo fails with the field's path instead of a CloudFormation error half-way through a deployment.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as z from "zod";
import { FAILURE_KEY_NAMES } from "../functions/lib/config";
import { SELF_MANAGED_AUTHENTICATIONS } from "./constructs/types";

export const CONFIG_CONTEXT_KEY = "kafkaPipeline";
export const CONFIG_FILE_CONTEXT_KEY = "kafkaPipelineConfigFile";

/** Retention periods CloudWatch Logs accepts, in days. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const id = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}-[0-9a-f]{8,17}$`), `must look like ${prefix}-0123456789abcdef0`);
const secretArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/,
    "must be the complete ARN of a Secrets Manager secret (ending in the 6-character suffix)",
  );
const positiveInt = z.int().positive();
const kmsKeyArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/,
    "must be the ARN of a KMS key (arn:aws:kms:<region>:<account>:key/<id>), not an alias",
  );

const mskSource = z.strictObject({
  type: z.literal("msk"),
  clusterArn: z.string(),
  bootstrapBrokers: z.string().min(1, "must list the cluster's IAM brokers (port 9098)"),
  vpcId: id("vpc"),
  subnetIds: z.array(id("subnet")).min(1, "must name at least one private subnet"),
  securityGroupIds: z.array(id("sg")).min(1, "must name at least one security group"),
});

const selfManagedSource = z.strictObject({
  type: z.literal("self-managed"),
  bootstrapServers: z.array(z.string()).min(1, "must name at least one broker as host:port"),
  authentication: z.enum(SELF_MANAGED_AUTHENTICATIONS),
  secretArn,
  rootCaSecretArn: secretArn.optional(),
  /** The customer-managed key that encrypts the secrets; omit for the AWS-managed aws/secretsmanager key. */
  secretsKmsKeyArn: kmsKeyArn.optional(),
  vpcId: id("vpc").optional(),
  subnetIds: z.array(id("subnet")).optional(),
  securityGroupIds: z.array(id("sg")).optional(),
});

/** See AwsServiceAccess in infra/constructs/types.ts. */
const awsServiceAccess = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("nat-or-existing-endpoints") }),
  z.strictObject({
    type: z.literal("create-endpoints"),
    routeTableIds: z
      .array(id("rtb"))
      .min(1, "must name the route tables of the functions' and the cluster's subnets"),
  }),
]);

const appConfigSchema = z.strictObject({
  stackName: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, "must be a CloudFormation stack name")
    .default("KafkaLambdaPipeline"),
  env: z
    .strictObject({
      account: z
        .string()
        .regex(/^\d{12}$/)
        .optional(),
      region: z.string().optional(),
    })
    .optional(),
  /** Production retains the bucket, tables and logs when the stack is deleted. */
  production: z.boolean().default(true),
  source: z.discriminatedUnion("type", [mskSource, selfManagedSource]),
  /** Required with a VPC: how the functions reach S3, DynamoDB and Secrets Manager. */
  awsServiceAccess: awsServiceAccess.optional(),
  /** Days a dead letter stays in the index; the archive stays readable a week longer. */
  deadLetterRetentionDays: positiveInt.optional(),
  pipelines: z
    .array(
      z.strictObject({
        source: z.string(),
        target: z.string().optional(),
        dlq: z.string().optional(),
        consumerGroupId: z.string().optional(),
      }),
    )
    .optional(),
  consumerGroupIdPrefix: z.string().optional(),
  pollers: z
    .strictObject({
      minimum: positiveInt.optional(),
      maximum: positiveInt.optional(),
      groupName: z.string().optional(),
    })
    .optional(),
  batchSize: positiveInt.optional(),
  batchingWindowSeconds: z.int().min(0).optional(),
  startingPosition: z.enum(["TRIM_HORIZON", "LATEST"]).optional(),
  retryAttempts: z.int().min(-1).optional(),
  maxRecordAgeSeconds: positiveInt.optional(),
  bisectBatchOnError: z.boolean().optional(),
  onFailure: z
    .discriminatedUnion("type", [
      z.strictObject({ type: z.literal("s3") }),
      z.strictObject({ type: z.literal("kafka"), topic: z.string() }),
    ])
    .optional(),
  processor: z
    .strictObject({
      memorySize: positiveInt.optional(),
      timeoutSeconds: positiveInt.optional(),
      logRetentionDays: z
        .int()
        .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
          message: `must be one of ${LOG_RETENTION_DAYS.join(", ")}`,
        })
        .optional(),
      failureKeyName: z.enum(FAILURE_KEY_NAMES).optional(),
      ordered: z.boolean().optional(),
      throwOnFullBatchFailure: z.boolean().optional(),
      serviceName: z.string().optional(),
      metricsNamespace: z.string().optional(),
    })
    .optional(),
  archive: z
    .strictObject({
      prefix: z.string().optional(),
      infrequentAccessAfterDays: positiveInt.optional(),
      glacierAfterDays: positiveInt.optional(),
      expireAfterDays: positiveInt.optional(),
      noncurrentVersionsExpireAfterDays: positiveInt.optional(),
    })
    .optional(),
  /** The dead-letter redrive function; false leaves it out. */
  redrive: z
    .union([
      z.literal(false),
      z.strictObject({
        timeoutSeconds: positiveInt.optional(),
        memorySize: positiveInt.optional(),
        maxRedrives: positiveInt.optional(),
        ratePerSecond: positiveInt.optional(),
        batchSize: positiveInt.optional(),
      }),
    ])
    .optional(),
  /**
   * The canary pipeline for `npm run canary`: true for topic `<stackName>.canary` (with `.out` and
   * `.dlq`), or `{ "topic": "..." }`; off by default.
   */
  canary: z.union([z.boolean(), z.strictObject({ topic: z.string().optional() })]).optional(),
  alarms: z
    .strictObject({
      email: z.string().optional(),
      offsetLagThreshold: positiveInt.optional(),
      functionErrorsThreshold: positiveInt.optional(),
    })
    .optional(),
});

export type AppConfig = z.output<typeof appConfigSchema>;
export type AppSourceConfig = AppConfig["source"];

/** A setting in cdk.json or the config file that cannot work; lists every problem with its path. */
export class AppConfigError extends Error {
  constructor(where: string, problems: readonly string[]) {
    super(`Invalid ${where}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "AppConfigError";
  }
}

/** Validates one configuration object; `where` names its origin in error messages. */
export function parseAppConfig(raw: unknown, where: string): AppConfig {
  const result = appConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new AppConfigError(
    where,
    result.error.issues.map((issue) => `${[CONFIG_CONTEXT_KEY, ...issue.path].join(".")}: ${issue.message}`),
  );
}

interface ContextReader {
  tryGetContext(key: string): unknown;
}

/**
 * Reads the configuration: a file named by `kafkaPipelineConfigFile` (relative to the working
 * directory) wins over the inline `kafkaPipeline` object, so `-c kafkaPipelineConfigFile=prod.json`
 * switches environments without editing cdk.json.
 */
export function loadAppConfig(context: ContextReader, cwd: string = process.cwd()): AppConfig {
  const file = context.tryGetContext(CONFIG_FILE_CONTEXT_KEY);
  if (typeof file === "string" && file.trim() !== "") {
    const fullPath = path.resolve(cwd, file);
    let text: string;
    try {
      text = readFileSync(fullPath, "utf8");
    } catch (error) {
      throw new AppConfigError(`${CONFIG_FILE_CONTEXT_KEY} "${file}"`, [`cannot be read: ${String(error)}`]);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new AppConfigError(`config file ${fullPath}`, [`is not JSON: ${String(error)}`]);
    }
    return parseAppConfig(raw, `config file ${fullPath}`);
  }

  const inline = context.tryGetContext(CONFIG_CONTEXT_KEY);
  if (inline === undefined) {
    throw new AppConfigError("configuration", [
      `none found: add a "${CONFIG_CONTEXT_KEY}" object to the context of cdk.json, ` +
        `or pass -c ${CONFIG_FILE_CONTEXT_KEY}=path/to/config.json (see README, "Deploy with CDK")`,
    ]);
  }
  // `-c kafkaPipeline='{...}'` arrives as a string.
  if (typeof inline === "string") {
    try {
      return parseAppConfig(JSON.parse(inline), `-c ${CONFIG_CONTEXT_KEY}`);
    } catch (error) {
      if (error instanceof AppConfigError) throw error;
      throw new AppConfigError(`-c ${CONFIG_CONTEXT_KEY}`, [`is not JSON: ${String(error)}`]);
    }
  }
  return parseAppConfig(inline, `"${CONFIG_CONTEXT_KEY}" in cdk.json context`);
}
