import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  type DynamoDBClient,
  TransactWriteItemsCommand,
  type Update,
  type WriteRequest,
} from "@aws-sdk/client-dynamodb";
import { TransientError } from "../core/errors";
import { translateAwsError } from "./awsErrors";

type Item = Record<string, AttributeValue>;

const WRITE_CHUNK = 25;
const GET_CHUNK = 100;
/** DynamoDB's limit of actions per transaction (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html). */
const TRANSACTION_CHUNK = 100;
/**
 * Transactions in flight at once. DynamoDB Local runs them one after another at ~4 ms an item, so
 * ten sent together left the last waiting past the clients' 5 s request timeout (seen here); two
 * keep the queue short, and in DynamoDB a hundred-item transaction takes tens of milliseconds.
 */
const TRANSACTIONS_IN_FLIGHT = 2;
/**
 * Batch reads or writes in flight at once per call. Sending a storm's 120 writes together queued
 * them all on DynamoDB Local (one writer) and on the SDK's 50 sockets: 3,000 puts took 3.7 s at 120
 * in flight and 2.8-3.2 s at 4-8 (seen here); in DynamoDB eight 25-item requests at a time keep a
 * batch of 3,000 well under a second.
 */
const BATCHES_IN_FLIGHT = 8;
const UNPROCESSED_ROUNDS = 5;

/**
 * Writes items in DynamoDB's largest batches (25), eight at a time, and resends what DynamoDB
 * leaves unprocessed (throttling) a few times before calling the whole write transient.
 */
export async function batchWriteAll(
  client: DynamoDBClient,
  table: string,
  requests: readonly WriteRequest[],
): Promise<void> {
  await eachInFlight(chunk(requests, WRITE_CHUNK), BATCHES_IN_FLIGHT, async (part) => {
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
  });
}

/** Attributes a batch read returns: a projection expression and the names its `#aliases` stand for. */
export interface BatchGetProjection {
  readonly expression: string;
  readonly names?: Readonly<Record<string, string>>;
}

/** Reads items by key in batches of 100, eight at a time, resending unprocessed keys like {@link batchWriteAll}. */
export async function batchGetAll(
  client: DynamoDBClient,
  table: string,
  keys: readonly Item[],
  projection?: string | BatchGetProjection,
): Promise<Item[]> {
  const projected =
    projection === undefined
      ? {}
      : typeof projection === "string"
        ? { ProjectionExpression: projection }
        : {
            ProjectionExpression: projection.expression,
            ...(projection.names ? { ExpressionAttributeNames: { ...projection.names } } : {}),
          };
  const found: Item[] = [];
  await eachInFlight(chunk(keys, GET_CHUNK), BATCHES_IN_FLIGHT, async (part) => {
    let pending: Item[] = part;
    for (let round = 0; pending.length > 0; round += 1) {
      if (round === UNPROCESSED_ROUNDS)
        throw new TransientError(`DynamoDB left ${pending.length} reads of ${table} unprocessed`);
      if (round > 0) await pause(round);
      try {
        const { Responses, UnprocessedKeys } = await client.send(
          new BatchGetItemCommand({
            RequestItems: {
              [table]: { Keys: pending, ...projected },
            },
          }),
        );
        found.push(...(Responses?.[table] ?? []));
        pending = UnprocessedKeys?.[table]?.Keys ?? [];
      } catch (error) {
        throw translateAwsError(error, `reading ${table}`);
      }
    }
  });
  return found;
}

/**
 * Applies update actions (one per item, all on `table`) in transactions of up to 100, two at a time:
 * one request per hundred items where `UpdateItem` costs one per item, and each item's update keeps
 * its own atomic expression (`if_not_exists`), which a batch write of whole items cannot. DynamoDB
 * rejects a transaction that names an item twice, so the caller passes distinct keys.
 *
 * A transaction cancelled because another writer touched one of its items at the same moment
 * (`TransactionConflict`), or throttled, is transient: the caller's retry sends it again, and the
 * updates are idempotent. IAM authorizes each action as its own `dynamodb:UpdateItem`
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
 */
export async function transactUpdateAll(
  client: DynamoDBClient,
  table: string,
  updates: readonly Omit<Update, "TableName">[],
): Promise<void> {
  const parts = chunk(updates, TRANSACTION_CHUNK);
  const send = async (part: readonly Omit<Update, "TableName">[]) => {
    try {
      await client.send(
        new TransactWriteItemsCommand({
          TransactItems: part.map((update) => ({ Update: { ...update, TableName: table } })),
        }),
      );
    } catch (error) {
      if (isTransientCancellation(error)) {
        throw new TransientError(`a transaction on ${table} was cancelled: ${reasonsOf(error).join(", ")}`, {
          cause: error,
        });
      }
      throw translateAwsError(error, `updating ${table}`);
    }
  };
  await eachInFlight(parts, TRANSACTIONS_IN_FLIGHT, send);
}

/**
 * Runs `task` on every item, at most `width` at a time. The first failure rejects the whole, as
 * `Promise.all` does, and no new task starts after it.
 */
async function eachInFlight<T>(items: readonly T[], width: number, task: (item: T) => Promise<void>) {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < items.length && !failed) {
      const item = items[next] as T;
      next += 1;
      try {
        await task(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

/** Cancellation reasons that a later attempt can clear (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html#API_TransactWriteItems_Errors). */
const TRANSIENT_CANCELLATIONS: ReadonlySet<string> = new Set([
  "TransactionConflict",
  "ThrottlingError",
  "ProvisionedThroughputExceeded",
  "RequestLimitExceeded",
]);

function reasonsOf(error: unknown): string[] {
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((reason) => reason.Code ?? "None").filter((code) => code !== "None");
}

function isTransientCancellation(error: unknown): boolean {
  if ((error as { name?: string } | null)?.name === "TransactionConflictException") return true;
  if ((error as { name?: string } | null)?.name !== "TransactionCanceledException") return false;
  const reasons = reasonsOf(error);
  return reasons.length > 0 && reasons.every((code) => TRANSIENT_CANCELLATIONS.has(code));
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

function pause(round: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 50 * 2 ** round * Math.random()));
}
