import { type DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { translateAwsError } from "../adapters/awsErrors";
import { ATTEMPTS_TABLE } from "../tables";
import { CANARY_MARKER_TTL_SECONDS, type CountedCanaryKind, canaryMarkerKey } from "./canaryRecord";
import type { CanaryDeliveries } from "./ports";

export interface DynamoCanaryDeliveriesOptions {
  readonly client: DynamoDBClient;
  /** The attempts table (ATTEMPTS_TABLE): the processor may already update its items. */
  readonly table: string;
}

/**
 * Delivery counts of a canary run in one `CANARY#<run-id>` item of the attempts table: one atomic
 * counter per kind (`ADD`), so "the first delivery" holds across containers and concurrent
 * invocations. The item expires after a day; the `canary` tool deletes it when it is done.
 */
export class DynamoCanaryDeliveries implements CanaryDeliveries {
  constructor(private readonly options: DynamoCanaryDeliveriesOptions) {}

  async count(runId: string, kind: CountedCanaryKind): Promise<number> {
    const expiresAt = Math.floor(Date.now() / 1000) + CANARY_MARKER_TTL_SECONDS;
    try {
      const { Attributes } = await this.options.client.send(
        new UpdateItemCommand({
          TableName: this.options.table,
          Key: { [ATTEMPTS_TABLE.partitionKey]: { S: canaryMarkerKey(runId) } },
          UpdateExpression: "ADD #kind :one SET #ttl = if_not_exists(#ttl, :expiresAt)",
          ExpressionAttributeNames: { "#kind": kind, "#ttl": ATTEMPTS_TABLE.ttlAttribute },
          ExpressionAttributeValues: { ":one": { N: "1" }, ":expiresAt": { N: String(expiresAt) } },
          ReturnValues: "UPDATED_NEW",
        }),
      );
      return Number(Attributes?.[kind]?.N ?? "1");
    } catch (error) {
      throw translateAwsError(error, `counting canary deliveries in ${this.options.table}`);
    }
  }
}
