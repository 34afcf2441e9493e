import * as path from "node:path";
import { type Duration, Validations } from "aws-cdk-lib";
import type * as ec2 from "aws-cdk-lib/aws-ec2";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import { LAMBDA_BUNDLE, splitBundleCommand } from "../bundling/lambdaBundle";
import type { ResolvedSettings } from "./resolveSettings";
import type { KafkaSource } from "./types";

export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");

export interface PipelineFunctionOptions {
  readonly description: string;
  readonly entry: string;
  readonly environment: Record<string, string>;
  /** @default the processor's memorySize */
  readonly memorySize?: number;
  /** @default the processor's timeout */
  readonly timeout?: Duration;
  /** Powertools service name. @default the processor's serviceName */
  readonly serviceName?: string;
}

export interface PipelineFunction {
  readonly fn: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
}

/**
 * A function built like the processor (Node 24, ARM64, bundled with esbuild, in the source's network,
 * Powertools settings) with its own role and log group, created in `scope` under `id`. The role starts
 * with nothing but writing to that log group (and the network interfaces a VPC needs).
 */
export function createPipelineFunction(
  scope: Construct,
  id: string,
  settings: ResolvedSettings,
  options: PipelineFunctionOptions,
): PipelineFunction {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: settings.logRetention,
    removalPolicy: settings.removalPolicy,
  });
  // An explicit role instead of the default one, which would attach the AWS managed policies
  // AWSLambdaBasicExecutionRole / AWSLambdaVPCAccessExecutionRole (logs:* on every log group).
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
    description: `Execution role of the ${id} function of ${scope.node.path}`,
  });
  logGroup.grantWrite(role);

  const network = functionNetwork(settings.source);
  if (network !== undefined) {
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "ManageVpcNetworkInterfaces",
        actions: [
          "ec2:CreateNetworkInterface",
          "ec2:DeleteNetworkInterface",
          "ec2:DescribeNetworkInterfaces",
          "ec2:AssignPrivateIpAddresses",
          "ec2:UnassignPrivateIpAddresses",
          "ec2:DescribeSubnets",
          "ec2:DescribeSecurityGroups",
          "ec2:DescribeVpcs",
        ],
        // AWS forces "*": the ec2:Describe* actions have no resource-level permissions, and Lambda
        // creates and deletes interfaces whose IDs exist only at run time.
        resources: ["*"],
      }),
    );
    Validations.of(role).acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason:
        "Only the VPC network-interface actions that Lambda and the Kafka mapping need: ec2:Describe* support no " +
        "resource-level permissions and the interfaces to create or delete have no ARN before they exist.",
    });
  }

  const fn = new nodejs.NodejsFunction(scope, id, {
    description: options.description,
    entry: options.entry,
    handler: "handler",
    depsLockFilePath: path.join(REPO_ROOT, "package-lock.json"),
    projectRoot: REPO_ROOT,
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: options.memorySize ?? settings.memorySize,
    timeout: options.timeout ?? settings.timeout,
    role,
    logGroup,
    ...(network ?? {}),
    environment: {
      ...options.environment,
      POWERTOOLS_SERVICE_NAME: options.serviceName ?? settings.serviceName,
      POWERTOOLS_METRICS_NAMESPACE: settings.metricsNamespace,
    },
    bundling: {
      minify: LAMBDA_BUNDLE.minify,
      sourceMap: LAMBDA_BUNDLE.sourceMap,
      sourcesContent: LAMBDA_BUNDLE.sourcesContent,
      target: LAMBDA_BUNDLE.target,
      format: nodejs.OutputFormat.ESM,
      mainFields: [...LAMBDA_BUNDLE.mainFields],
      banner: LAMBDA_BUNDLE.banner,
      externalModules: [...LAMBDA_BUNDLE.externalModules],
      // Code splitting, which NodejsFunction's own esbuild run cannot do (see splitBundleCommand).
      commandHooks: {
        beforeBundling: () => [],
        beforeInstall: () => [],
        afterBundling: (_inputDir, outputDir) => [splitBundleCommand(path.resolve(options.entry), outputDir)],
      },
    },
  });
  // Lambda checks the role's network-interface permissions when it creates a VPC function.
  fn.node.addDependency(role);
  return { fn, role, logGroup };
}

function functionNetwork(
  source: KafkaSource,
): { vpc: ec2.IVpc; vpcSubnets: ec2.SubnetSelection; securityGroups: ec2.ISecurityGroup[] } | undefined {
  if (source.vpc === undefined || source.vpcSubnets === undefined) return undefined;
  return {
    vpc: source.vpc,
    vpcSubnets: source.vpcSubnets,
    securityGroups: [...(source.securityGroups ?? [])],
  };
}
