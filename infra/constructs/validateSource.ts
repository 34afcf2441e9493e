import { Token } from "aws-cdk-lib";
import { PipelinePropsError } from "./errors";
import { type AwsServiceAccess, type KafkaSource, SELF_MANAGED_AUTHENTICATIONS } from "./types";

const BROKER = /^[^\s:,]+:\d{1,5}$/;
const ROUTE_TABLE_ID = /^rtb-[0-9a-f]{8,17}$/;

/**
 * Checks the cluster settings: broker lists, authentication and the network the mapping and the
 * functions run in. Each error names the prop, what was given and what is expected.
 */
export function validateSource(source: KafkaSource | undefined): void {
  if (source === undefined) {
    throw new PipelinePropsError(
      "source",
      'is required: { type: "msk", ... } or { type: "self-managed", ... }',
    );
  }
  if (source.type === "msk") {
    const brokers = source.bootstrapBrokers.split(",").map((b) => b.trim());
    if (!Token.isUnresolved(source.bootstrapBrokers)) {
      for (const broker of brokers) {
        if (!BROKER.test(broker)) {
          throw new PipelinePropsError(
            "source.bootstrapBrokers",
            `must be comma-separated host:port pairs (the cluster's IAM brokers, port 9098), got "${broker}"`,
          );
        }
      }
    }
    if (source.securityGroups.length === 0) {
      throw new PipelinePropsError(
        "source.securityGroups",
        "must name at least one security group that the brokers accept, so the function can reach them",
      );
    }
    return;
  }
  if (source.type === "self-managed") {
    if (source.bootstrapServers.length === 0) {
      throw new PipelinePropsError("source.bootstrapServers", "must name at least one broker as host:port");
    }
    for (const broker of source.bootstrapServers) {
      if (!Token.isUnresolved(broker) && !BROKER.test(broker)) {
        throw new PipelinePropsError("source.bootstrapServers", `entries must be host:port, got "${broker}"`);
      }
    }
    if (!(SELF_MANAGED_AUTHENTICATIONS as readonly string[]).includes(source.authentication)) {
      throw new PipelinePropsError(
        "source.authentication",
        `must be one of ${SELF_MANAGED_AUTHENTICATIONS.join(", ")}, got "${source.authentication}"`,
      );
    }
    const hasNetwork = source.vpcSubnets !== undefined || (source.securityGroups?.length ?? 0) > 0;
    if (source.vpc === undefined && hasNetwork) {
      throw new PipelinePropsError("source.vpc", "is required when vpcSubnets or securityGroups are given");
    }
    if (
      source.vpc !== undefined &&
      (source.vpcSubnets === undefined || (source.securityGroups?.length ?? 0) === 0)
    ) {
      throw new PipelinePropsError(
        "source.vpcSubnets",
        "and source.securityGroups are both required with source.vpc: the mapping and the function need them",
      );
    }
    return;
  }
  throw new PipelinePropsError(
    "source.type",
    `must be "msk" or "self-managed", got "${(source as { type: unknown }).type}"`,
  );
}

/**
 * Functions in a VPC need a way to S3, DynamoDB and Secrets Manager, and nothing at synth time can
 * tell whether the subnets have one: the deployer must say (see {@link AwsServiceAccess}).
 */
export function validateAwsServiceAccess(
  source: KafkaSource,
  access: AwsServiceAccess | undefined,
): AwsServiceAccess | undefined {
  const inVpc = source.vpc !== undefined && source.vpcSubnets !== undefined;
  if (!inVpc) {
    if (access !== undefined) {
      throw new PipelinePropsError(
        "awsServiceAccess",
        "only applies when the functions run in a VPC (source.vpc)",
      );
    }
    return undefined;
  }
  if (access === undefined) {
    throw new PipelinePropsError(
      "awsServiceAccess",
      "is required when the functions run in a VPC: without a NAT gateway or VPC endpoints they cannot reach " +
        "S3, DynamoDB or Secrets Manager and every dead-letter write hangs until the deadline. Use " +
        '{ type: "create-endpoints", routeTableIds: [...] } (the route tables of the subnets of the functions and the ' +
        'cluster) or { type: "nat-or-existing-endpoints" } if the subnets already have a way out',
    );
  }
  if (access.type === "nat-or-existing-endpoints") return access;
  if (access.type !== "create-endpoints") {
    throw new PipelinePropsError(
      "awsServiceAccess.type",
      `must be "create-endpoints" or "nat-or-existing-endpoints", got "${(access as { type: unknown }).type}"`,
    );
  }
  if (access.routeTableIds.length === 0) {
    throw new PipelinePropsError(
      "awsServiceAccess.routeTableIds",
      "must name the route tables of the functions' and the cluster's subnets (the gateway endpoints attach to them)",
    );
  }
  for (const id of access.routeTableIds) {
    if (!Token.isUnresolved(id) && !ROUTE_TABLE_ID.test(id)) {
      throw new PipelinePropsError(
        "awsServiceAccess.routeTableIds",
        `entries must look like rtb-0123456789abcdef0, got "${id}"`,
      );
    }
  }
  return access;
}
