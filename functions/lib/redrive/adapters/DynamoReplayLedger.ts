import type { AttributeValue, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { batchGetAll, batchWriteAll } from "../../adapters/dynamoBatch";
import { ATTEMPTS_TABLE } from "../../tables";
import type { ReplayLedger } from "../ports";
import type { RedriveMark } from "../types";

export interface DynamoReplayLedgerOptions {
  readonly client: DynamoDBClient;
  readonly table: string;
  /** How long a replay is remembered. @default 90 days */
  readonly ttlSeconds?: number;
}

const PREFIX = "REDRIVE#RECORD#";

/**
 * Replays of on-failure records as items `REDRIVE#RECORD#<topic>:<partition>:<offset>` of the attempts
 * table: written in batches right after each produce, read in batches before the next.
 */
export class DynamoReplayLedger implements ReplayLedger {
  constructor(private readonly options: DynamoReplayLedgerOptions) {}

  async replayed(ids: readonly string[]): Promise<ReadonlySet<string>> {
    if (ids.length === 0) return new Set();
    const keys = [...new Set(ids)].map((id) => ({ [ATTEMPTS_TABLE.partitionKey]: { S: `${PREFIX}${id}` } }));
    const items = await batchGetAll(
      this.options.client,
      this.options.table,
      keys,
      ATTEMPTS_TABLE.partitionKey,
    );
    return new Set(items.map((item) => (item[ATTEMPTS_TABLE.partitionKey]?.S ?? "").slice(PREFIX.length)));
  }

  async markReplayed(entries: readonly (RedriveMark & { readonly id: string })[]): Promise<void> {
    const ttl = this.options.ttlSeconds ?? 90 * 86_400;
    const requests = entries.map((entry) => {
      const item: Record<string, AttributeValue> = {
        [ATTEMPTS_TABLE.partitionKey]: { S: `${PREFIX}${entry.id}` },
        redrivenAt: { S: entry.at },
        runId: { S: entry.runId },
        topic: { S: entry.topic },
        partition: { N: String(entry.partition) },
        offset: { N: String(entry.offset) },
        [ATTEMPTS_TABLE.ttlAttribute]: { N: String(Math.floor(Date.parse(entry.at) / 1000) + ttl) },
      };
      return { PutRequest: { Item: item } };
    });
    await batchWriteAll(this.options.client, this.options.table, requests);
  }
}
