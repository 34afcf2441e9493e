/**
 * The event source mapping's schema registry settings (`SchemaRegistryConfig`): validated at synth,
 * then bound to the mapping with the grants the mapping needs to read the registry with the
 * processor's role.
 */
import { Token, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { PipelinePropsError } from "./errors";
import type { MappingSchemaRegistry, PollerConfig, SchemaValidatedAttribute } from "./types";

/** Glue registry names: letters, digits, `-`, `_`, `$` and `#` (Glue's CreateRegistry). */
const GLUE_REGISTRY_ARN = /^arn:(aws[a-z-]*):glue:([a-z0-9-]+):(\d{12}):registry\/([A-Za-z0-9_$#-]{1,255})$/;
const ATTRIBUTES: readonly SchemaValidatedAttribute[] = ["key", "value"];

/**
 * Refuses a registry the mapping could not use. Lambda validates with a schema registry only in
 * provisioned mode ("Schema registry doesn't support event source mappings in on-demand mode",
 * https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html), so that is said
 * here, before the construct's general refusal of on-demand mode.
 */
export function resolveSchemaRegistry(
  registry: MappingSchemaRegistry | undefined,
  pollers: PollerConfig | undefined,
): MappingSchemaRegistry | undefined {
  if (registry === undefined) return undefined;
  if (pollers !== undefined && pollers.mode !== "provisioned") {
    throw new PipelinePropsError(
      "schemaRegistry",
      `needs pollers.mode "provisioned", got "${pollers.mode}": Lambda validates records against a schema ` +
        "registry only in provisioned mode (https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html)",
    );
  }
  if (registry.eventRecordFormat !== "JSON" && registry.eventRecordFormat !== "SOURCE") {
    throw new PipelinePropsError(
      "schemaRegistry.eventRecordFormat",
      `must be "JSON" or "SOURCE", got "${String(registry.eventRecordFormat)}"`,
    );
  }
  const validate = registry.validate;
  if (
    validate.length === 0 ||
    validate.some((a) => !ATTRIBUTES.includes(a)) ||
    new Set(validate).size !== validate.length
  ) {
    throw new PipelinePropsError(
      "schemaRegistry.validate",
      `must list "key", "value" or both, once each, got ${JSON.stringify(validate)}`,
    );
  }
  if (registry.type === "glue") {
    if (Token.isUnresolved(registry.registryArn) || !GLUE_REGISTRY_ARN.test(registry.registryArn)) {
      throw new PipelinePropsError(
        "schemaRegistry.registryArn",
        `must be a literal arn:<partition>:glue:<region>:<account>:registry/<name>, got "${registry.registryArn}"`,
      );
    }
  } else if (registry.type === "confluent") {
    if (!isHttpUrl(registry.url)) {
      throw new PipelinePropsError("schemaRegistry.url", `must be an http(s) URL, got "${registry.url}"`);
    }
  } else {
    throw new PipelinePropsError(
      "schemaRegistry.type",
      `must be "glue" or "confluent", got "${String((registry as { type: unknown }).type)}"`,
    );
  }
  return registry;
}

/**
 * The mapping's `SchemaRegistryConfig`, granting what Lambda needs to read the registry with the
 * processor's role, which is also the mapping's: for Glue, `glue:GetRegistry` on the registry and
 * `glue:GetSchemaVersion` on it and its schemas (the same two grants as aws-cdk-lib's own
 * GlueSchemaRegistry, here on the registry's own region and account); for a Confluent registry, read
 * access to the authentication and root CA secrets ("If you're working with an AWS Glue schema
 * registry, don't provide authentication details ... ensure that your execution role has the required
 * permissions", https://docs.aws.amazon.com/lambda/latest/api/API_KafkaSchemaRegistryAccessConfig.html).
 */
export class PipelineSchemaRegistry implements lambda.ISchemaRegistry {
  /** Every source topic's mapping binds the same registry with the same role: grant once. */
  private granted = false;

  constructor(
    private readonly registry: MappingSchemaRegistry,
    private readonly role: iam.Role,
  ) {}

  bind(): lambda.KafkaSchemaRegistryConfig {
    const registry = this.registry;
    const common = {
      eventRecordFormat: lambda.EventRecordFormat.of(registry.eventRecordFormat),
      schemaValidationConfigs: registry.validate.map((attribute) => ({
        attribute: lambda.KafkaSchemaValidationAttribute.of(attribute.toUpperCase()),
      })),
    };
    if (registry.type === "glue") {
      if (!this.granted) this.grantGlueRead(registry.registryArn);
      this.granted = true;
      return { schemaRegistryUri: registry.registryArn, ...common };
    }
    const accessConfigs: lambda.KafkaSchemaRegistryAccessConfig[] = [];
    if (registry.authentication !== undefined) {
      accessConfigs.push({
        type:
          registry.authentication.type === "basic"
            ? lambda.KafkaSchemaRegistryAccessConfigType.BASIC_AUTH
            : lambda.KafkaSchemaRegistryAccessConfigType.CLIENT_CERTIFICATE_TLS_AUTH,
        uri: registry.authentication.secret.secretArn,
      });
    }
    if (registry.rootCaSecret !== undefined) {
      accessConfigs.push({
        type: lambda.KafkaSchemaRegistryAccessConfigType.SERVER_ROOT_CA_CERTIFICATE,
        uri: registry.rootCaSecret.secretArn,
      });
    }
    for (const secret of this.granted ? [] : [registry.authentication?.secret, registry.rootCaSecret]) {
      secret?.grantRead(this.role);
    }
    this.granted = true;
    return {
      schemaRegistryUri: registry.url,
      ...common,
      ...(accessConfigs.length === 0 ? {} : { accessConfigs }),
    };
  }

  private grantGlueRead(registryArn: string): void {
    const [, partition, region, account, name] = GLUE_REGISTRY_ARN.exec(registryArn) ?? [];
    const schemas = `arn:${partition}:glue:${region}:${account}:schema/${name}/*`;
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "ReadSchemaRegistry",
        actions: ["glue:GetRegistry"],
        resources: [registryArn],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "ReadSchemaVersions",
        actions: ["glue:GetSchemaVersion"],
        resources: [registryArn, schemas],
      }),
    );
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${schemas}]`,
      reason:
        `glue:GetSchemaVersion only, only on the schemas of registry "${name}": producers add schemas to it ` +
        "over time and the mapping must read every version a record names, so no exact schema ARN exists at deploy time.",
    });
  }
}

function isHttpUrl(raw: string): boolean {
  if (Token.isUnresolved(raw)) return true;
  try {
    const url = new URL(raw);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}
