import { type DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import type { AttemptLedger } from "../core/ports";
import { ATTEMPTS_TABLE } from "../tables";
import { translateAwsError } from "./awsErrors";

export interface DynamoAttemptLedgerOptions {
  readonly client: DynamoDBClient;
  readonly table: string;
  /** How long a record's count is remembered after its last failure. @default 7 days */
  readonly ttlSeconds?: number;
}

/** Per-record transient failure counts: one atomic counter update (ADD) per blocked partition. */
export class DynamoAttemptLedger implements AttemptLedger {
  constructor(private readonly options: DynamoAttemptLedgerOptions) {}

  async recordTransientFailure(recordId: string, reason: string): Promise<number> {
    const expiresAt = Math.floor(Date.now() / 1000) + (this.options.ttlSeconds ?? 7 * 86_400);
    try {
      const { Attributes } = await this.options.client.send(
        new UpdateItemCommand({
          TableName: this.options.table,
          Key: { [ATTEMPTS_TABLE.partitionKey]: { S: `ATTEMPT#${recordId}` } },
          UpdateExpression: "ADD attempts :one SET lastError = :reason, #ttl = :expiresAt",
          ExpressionAttributeNames: { "#ttl": ATTEMPTS_TABLE.ttlAttribute },
          ExpressionAttributeValues: {
            ":one": { N: "1" },
            ":reason": { S: reason.slice(0, 1_000) || "-" },
            ":expiresAt": { N: String(expiresAt) },
          },
          ReturnValues: "UPDATED_NEW",
        }),
      );
      return Number(Attributes?.attempts?.N ?? "1");
    } catch (error) {
      throw translateAwsError(error, `counting attempts in ${this.options.table}`);
    }
  }
}
