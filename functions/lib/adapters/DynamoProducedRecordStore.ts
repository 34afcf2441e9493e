import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { ProducedRecordStore } from "../core/ports";
import { ATTEMPTS_TABLE } from "../tables";
import { batchGetAll, batchWriteAll } from "./dynamoBatch";

export interface DynamoProducedRecordStoreOptions {
  readonly client: DynamoDBClient;
  readonly table: string;
  /** How long a produced record is remembered; longer than the mapping can redeliver it. @default 1 day */
  readonly ttlSeconds?: number;
}

/**
 * Idempotency keys of records already written to their target topic, by source coordinates.
 *
 * Batched reads and writes rather than a conditional write per record: an event source mapping
 * hands a partition to one invocation at a time, so there is no concurrent writer to race with, and
 * a batch of thousands costs a few requests instead of thousands.
 */
export class DynamoProducedRecordStore implements ProducedRecordStore {
  constructor(private readonly options: DynamoProducedRecordStoreOptions) {}

  async findProduced(recordIds: readonly string[]): Promise<ReadonlySet<string>> {
    if (recordIds.length === 0) return new Set();
    const keys = recordIds.map((id) => ({ [ATTEMPTS_TABLE.partitionKey]: { S: `PRODUCED#${id}` } }));
    const projection = `${ATTEMPTS_TABLE.partitionKey}, ${ATTEMPTS_TABLE.ttlAttribute}`;
    const items = await batchGetAll(this.options.client, this.options.table, keys, projection);
    const now = Math.floor(Date.now() / 1000);
    return new Set(
      items
        // TTL deletion is lazy: an expired item may still be returned for a while.
        .filter((item) => Number(item[ATTEMPTS_TABLE.ttlAttribute]?.N ?? Number.POSITIVE_INFINITY) > now)
        .map((item) => (item[ATTEMPTS_TABLE.partitionKey]?.S ?? "").slice("PRODUCED#".length)),
    );
  }

  async markProduced(recordIds: readonly string[]): Promise<void> {
    const expiresAt = String(Math.floor(Date.now() / 1000) + (this.options.ttlSeconds ?? 86_400));
    const requests = recordIds.map((id) => ({
      PutRequest: {
        Item: {
          [ATTEMPTS_TABLE.partitionKey]: { S: `PRODUCED#${id}` },
          [ATTEMPTS_TABLE.ttlAttribute]: { N: expiresAt },
        },
      },
    }));
    await batchWriteAll(this.options.client, this.options.table, requests);
  }
}
