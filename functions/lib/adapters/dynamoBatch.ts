import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  type DynamoDBClient,
  type WriteRequest,
} from "@aws-sdk/client-dynamodb";
import { TransientError } from "../core/errors";
import { translateAwsError } from "./awsErrors";

type Item = Record<string, AttributeValue>;

const WRITE_CHUNK = 25;
const GET_CHUNK = 100;
const UNPROCESSED_ROUNDS = 5;

/**
 * Writes items in DynamoDB's largest batches (25), chunks in parallel, and resends what DynamoDB
 * leaves unprocessed (throttling) a few times before calling the whole write transient.
 */
export async function batchWriteAll(
  client: DynamoDBClient,
  table: string,
  requests: readonly WriteRequest[],
): Promise<void> {
  const chunks = chunk(requests, WRITE_CHUNK);
  await Promise.all(
    chunks.map(async (part) => {
      let pending: WriteRequest[] = part;
      for (let round = 0; pending.length > 0; round += 1) {
        if (round === UNPROCESSED_ROUNDS) {
          throw new TransientError(`DynamoDB left ${pending.length} writes to ${table} unprocessed`);
        }
        if (round > 0) await pause(round);
        try {
          const { UnprocessedItems } = await client.send(
            new BatchWriteItemCommand({ RequestItems: { [table]: pending } }),
          );
          pending = UnprocessedItems?.[table] ?? [];
        } catch (error) {
          throw translateAwsError(error, `writing to ${table}`);
        }
      }
    }),
  );
}

/** Reads items by key in batches of 100, resending unprocessed keys like {@link batchWriteAll}. */
export async function batchGetAll(
  client: DynamoDBClient,
  table: string,
  keys: readonly Item[],
  projection?: string,
): Promise<Item[]> {
  const found: Item[] = [];
  await Promise.all(
    chunk(keys, GET_CHUNK).map(async (part) => {
      let pending: Item[] = part;
      for (let round = 0; pending.length > 0; round += 1) {
        if (round === UNPROCESSED_ROUNDS)
          throw new TransientError(`DynamoDB left ${pending.length} reads of ${table} unprocessed`);
        if (round > 0) await pause(round);
        try {
          const { Responses, UnprocessedKeys } = await client.send(
            new BatchGetItemCommand({
              RequestItems: {
                [table]: { Keys: pending, ...(projection ? { ProjectionExpression: projection } : {}) },
              },
            }),
          );
          found.push(...(Responses?.[table] ?? []));
          pending = UnprocessedKeys?.[table]?.Keys ?? [];
        } catch (error) {
          throw translateAwsError(error, `reading ${table}`);
        }
      }
    }),
  );
  return found;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

function pause(round: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 50 * 2 ** round * Math.random()));
}
