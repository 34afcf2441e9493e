import { Aws } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import type { Construct, IDependable } from "constructs";
import type { ResolvedSettings } from "./resolveSettings";

/**
 * The VPC endpoints that let the functions (and the mapping's S3 on-failure destination) reach AWS
 * from the cluster's private subnets, when the deployer asked for them (`awsServiceAccess` of type
 * `create-endpoints`). Returns what the mappings must wait for.
 *
 * - S3 and DynamoDB: gateway endpoints on the named route tables: free, and the only way the
 *   mapping's S3 on-failure destination is reached from the cluster's VPC
 *   (https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html,
 *   https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure.html).
 * - Secrets Manager: an interface endpoint with private DNS in the functions' subnets, only when
 *   the functions read Kafka secrets (self-managed SCRAM or mTLS). The VPC needs DNS support and
 *   DNS hostnames turned on for private DNS to resolve.
 *
 * No STS or CloudWatch endpoint: the MSK IAM signer signs with the role's credentials locally and
 * metrics leave as EMF log lines, which Lambda ships outside the VPC.
 */
export function createAwsServiceEndpoints(scope: Construct, settings: ResolvedSettings): IDependable[] {
  const access = settings.awsServiceAccess;
  const { source } = settings;
  if (access?.type !== "create-endpoints" || source.vpc === undefined || source.vpcSubnets === undefined) {
    return [];
  }
  const routeTableIds = [...access.routeTableIds];
  const gateways = [
    ["S3Endpoint", ec2.GatewayVpcEndpointAwsService.S3],
    ["DynamoDbEndpoint", ec2.GatewayVpcEndpointAwsService.DYNAMODB],
  ] as const;
  const endpoints: IDependable[] = gateways.map(
    ([id, service]) =>
      new ec2.CfnVPCEndpoint(scope, id, {
        vpcId: source.vpc?.vpcId ?? "",
        serviceName: service.name,
        vpcEndpointType: "Gateway",
        routeTableIds,
      }),
  );
  if (source.type === "self-managed") {
    endpoints.push(secretsManagerEndpoint(scope, settings));
  }
  return endpoints;
}

function secretsManagerEndpoint(scope: Construct, settings: ResolvedSettings): ec2.CfnVPCEndpoint {
  const { source } = settings;
  const vpc = source.vpc as ec2.IVpc;
  const group = new ec2.SecurityGroup(scope, "SecretsManagerEndpointSecurityGroup", {
    vpc,
    description: "HTTPS from the pipeline's functions to the Secrets Manager endpoint",
    allowAllOutbound: false,
  });
  for (const functionGroup of source.securityGroups ?? []) {
    group.addIngressRule(
      ec2.Peer.securityGroupId(functionGroup.securityGroupId),
      ec2.Port.tcp(443),
      "The pipeline's functions read the Kafka secrets",
    );
  }
  return new ec2.CfnVPCEndpoint(scope, "SecretsManagerEndpoint", {
    vpcId: vpc.vpcId,
    serviceName: `com.amazonaws.${Aws.REGION}.secretsmanager`,
    vpcEndpointType: "Interface",
    privateDnsEnabled: true,
    subnetIds: vpc.selectSubnets(source.vpcSubnets).subnetIds,
    securityGroupIds: [group.securityGroupId],
  });
}
