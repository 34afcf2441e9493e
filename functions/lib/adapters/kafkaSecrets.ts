import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { AwsConfig } from "../config";

/**
 * Reads the Kafka client's secrets (SCRAM credentials, a client certificate, a private CA) from
 * Secrets Manager. Its own module so that `kafkaClient.ts` imports it only where the configuration
 * names a secret: IAM and plaintext clusters never load the Secrets Manager client (issue 11).
 */
export class KafkaSecrets {
  private readonly client: SecretsManagerClient;

  /** One client per Kafka client, with the same timeouts as the functions' other AWS clients. */
  constructor(aws: Pick<AwsConfig, "region" | "connectTimeoutMs" | "requestTimeoutMs">) {
    this.client = new SecretsManagerClient({
      region: aws.region,
      maxAttempts: 2,
      requestHandler: {
        connectionTimeout: aws.connectTimeoutMs,
        requestTimeout: aws.requestTimeoutMs,
        throwOnRequestTimeout: true,
      },
    });
  }

  /** The secret's JSON object (`{}` for an empty secret). */
  async read(secretArn: string): Promise<Record<string, unknown>> {
    const { SecretString } = await this.client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    return JSON.parse(SecretString ?? "{}") as Record<string, unknown>;
  }
}
