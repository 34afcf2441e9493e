import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { translateAwsError } from "../../adapters/awsErrors";
import { ATTEMPTS_TABLE } from "../../tables";
import type { RedriveRunState } from "../constants";
import type { RedriveRun, RedriveRunStore } from "../ports";
import type { RedriveCounts, RedriveRequest } from "../types";

export interface DynamoRedriveRunStoreOptions {
  readonly client: DynamoDBClient;
  /** The attempts table: runs share it with the ledgers, under their own key prefix. */
  readonly table: string;
  /** How long a run can be resumed. @default 30 days */
  readonly ttlSeconds?: number;
}

const COUNT_NAMES: readonly (keyof RedriveCounts)[] = [
  "selected",
  "replayed",
  "refused",
  "skipped",
  "failed",
];

/** Redrive checkpoints as items `REDRIVE#RUN#<run-id>` of the attempts table, rewritten after each batch. */
export class DynamoRedriveRunStore implements RedriveRunStore {
  constructor(private readonly options: DynamoRedriveRunStoreOptions) {}

  async load(runId: string): Promise<RedriveRun | undefined> {
    try {
      const { Item } = await this.options.client.send(
        new GetItemCommand({ TableName: this.options.table, Key: runKey(runId), ConsistentRead: true }),
      );
      return Item === undefined ? undefined : parseRun(Item);
    } catch (error) {
      throw translateAwsError(error, `reading redrive run ${runId} from ${this.options.table}`);
    }
  }

  async save(run: RedriveRun): Promise<void> {
    const expiresAt = Math.floor(Date.parse(run.updatedAt) / 1000) + (this.options.ttlSeconds ?? 30 * 86_400);
    const item: Record<string, AttributeValue> = {
      ...runKey(run.runId),
      runId: { S: run.runId },
      state: { S: run.state },
      request: { S: JSON.stringify(run.request) },
      startedAt: { S: run.startedAt },
      updatedAt: { S: run.updatedAt },
      attempts: { N: String(run.attempts) },
      [ATTEMPTS_TABLE.ttlAttribute]: { N: String(expiresAt) },
    };
    for (const name of COUNT_NAMES) item[name] = { N: String(run.counts[name]) };
    try {
      await this.options.client.send(new PutItemCommand({ TableName: this.options.table, Item: item }));
    } catch (error) {
      throw translateAwsError(error, `saving redrive run ${run.runId} to ${this.options.table}`);
    }
  }
}

function runKey(runId: string): Record<string, AttributeValue> {
  return { [ATTEMPTS_TABLE.partitionKey]: { S: `REDRIVE#RUN#${runId}` } };
}

function parseRun(item: Record<string, AttributeValue>): RedriveRun {
  const n = (name: string) => Number(item[name]?.N ?? "0");
  const counts = Object.fromEntries(COUNT_NAMES.map((name) => [name, n(name)])) as unknown as RedriveCounts;
  return {
    runId: item.runId?.S ?? "",
    state: (item.state?.S ?? "failed") as RedriveRunState,
    request: JSON.parse(item.request?.S ?? "{}") as RedriveRequest,
    counts,
    startedAt: item.startedAt?.S ?? "",
    updatedAt: item.updatedAt?.S ?? "",
    attempts: n("attempts"),
  };
}
