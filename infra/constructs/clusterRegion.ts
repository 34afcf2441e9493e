import { Annotations, type Stack, Token } from "aws-cdk-lib";
import type { IConstruct } from "constructs";
import { PipelinePropsError } from "./errors";

/** The region of an MSK cluster ARN (`arn:aws:kafka:<region>:…`), or undefined for a token. */
export function clusterRegion(clusterArn: string): string | undefined {
  return Token.isUnresolved(clusterArn) ? undefined : clusterArn.split(":")[3];
}

/**
 * An MSK mapping and the functions in the cluster's VPC only work in the cluster's region; deployed
 * elsewhere, the stack fails half-way, after the retained tables and buckets exist. A stack whose
 * region is known is checked here; an environment-agnostic one gets a warning (the app in
 * infra/app.ts always deploys to the cluster's region).
 */
export function requireClusterRegion(stack: Stack, clusterArn: string, scope: IConstruct): void {
  const cluster = clusterRegion(clusterArn);
  if (cluster === undefined) return;
  if (Token.isUnresolved(stack.region)) {
    Annotations.of(scope).addWarningV2(
      "kafka-lambda-pipeline:clusterRegion",
      `The stack has no region: deploy it to ${cluster}, the MSK cluster's region, or set env.region.`,
    );
    return;
  }
  if (stack.region !== cluster) {
    throw new PipelinePropsError(
      "source.clusterArn",
      `is in ${cluster}, but the stack deploys to ${stack.region}: the mapping and the functions must be in the cluster's region`,
    );
  }
}
