import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { translateAwsError } from "../../adapters/awsErrors";
import { deadLetterKey, parseDeadLetterItem } from "../../adapters/DynamoDeadLetterIndex";
import { DEAD_LETTER_TABLE } from "../../tables";
import {
  type IndexQuery,
  isBeyond,
  LISTING_ORDERS,
  type ListingOrder,
  planIndexQueries,
} from "../indexQueries";
import { mergeOrdered } from "../mergeOrdered";
import type { DeadLetterCatalog } from "../ports";
import type { DeadLetterFilter, DeadLetterView, DiscardMark, RedriveMark } from "../types";

type Item = Record<string, AttributeValue>;

/**
 * Attributes the tools add to an index item; the processor's layout (`deadLetterItem`) is left as it
 * is. A status change also moves the item in the byStatus index (`gsi2pk`), keeping its sort key.
 */
export const OPERATOR_ATTRIBUTES = {
  redrivenAt: "redrivenAt",
  redriveRunId: "redriveRunId",
  redriveTopic: "redriveTopic",
  redrivePartition: "redrivePartition",
  redriveOffset: "redriveOffset",
  discardedAt: "discardedAt",
  discardReason: "discardReason",
} as const;

export interface DynamoDeadLetterCatalogOptions {
  readonly client: DynamoDBClient;
  readonly table: string;
  /** Items per Query page. @default 100 */
  readonly pageSize?: number;
}

/** The dead-letter index read by GSI queries (never scans) and updated one conditional write at a time. */
export class DynamoDeadLetterCatalog implements DeadLetterCatalog {
  constructor(private readonly options: DynamoDeadLetterCatalogOptions) {}

  async get(id: string): Promise<DeadLetterView | undefined> {
    try {
      const { Item } = await this.options.client.send(
        new GetItemCommand({ TableName: this.options.table, Key: deadLetterKey(id), ConsistentRead: true }),
      );
      return Item === undefined ? undefined : viewOf(Item);
    } catch (error) {
      throw translateAwsError(error, `reading dead letter ${id} from ${this.options.table}`);
    }
  }

  find(filter: DeadLetterFilter, order: ListingOrder, after?: string): AsyncIterable<DeadLetterView> {
    const queries = planIndexQueries(filter, order, after);
    const newestFirst = order === LISTING_ORDERS.newestFirst;
    const streams = queries.map((q) => this.items(q, newestFirst, after, order));
    return mergeOrdered(streams, (a, b) => (newestFirst ? a.sortKey > b.sortKey : a.sortKey < b.sortKey));
  }

  async count(filter: DeadLetterFilter): Promise<number> {
    let total = 0;
    for (const query of planIndexQueries(filter, LISTING_ORDERS.newestFirst)) {
      let start: Item | undefined;
      do {
        const page = await this.query({
          ...this.input(query, false),
          Select: "COUNT",
          ExclusiveStartKey: start,
        });
        total += page.Count ?? 0;
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
    }
    return total;
  }

  async atCoordinates(topic: string, partition: number, offset: number): Promise<DeadLetterView[]> {
    const index = DEAD_LETTER_TABLE.byTopicIndex;
    const found: DeadLetterView[] = [];
    let start: Item | undefined;
    do {
      // The filter does not make the query cheaper (DynamoDB reads the topic's items), but a command
      // naming one letter by its coordinates is rare and bounded by one topic's dead letters.
      const page = await this.query({
        TableName: this.options.table,
        IndexName: index.name,
        KeyConditionExpression: "#pk = :pk",
        FilterExpression: "#partition = :partition AND #offset = :offset",
        ExpressionAttributeNames: {
          "#pk": index.partitionKey,
          "#partition": "partition",
          "#offset": "offset",
        },
        ExpressionAttributeValues: {
          ":pk": { S: topic },
          ":partition": { N: String(partition) },
          ":offset": { N: String(offset) },
        },
        ExclusiveStartKey: start,
      });
      for (const item of page.Items ?? []) found.push(viewOf(item));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return found.filter((v) => v.id !== "");
  }

  async hasTopic(topic: string): Promise<boolean> {
    const index = DEAD_LETTER_TABLE.byTopicIndex;
    const page = await this.query({
      TableName: this.options.table,
      IndexName: index.name,
      KeyConditionExpression: "#pk = :pk",
      ExpressionAttributeNames: { "#pk": index.partitionKey },
      ExpressionAttributeValues: { ":pk": { S: topic } },
      Limit: 1,
    });
    return (page.Count ?? 0) > 0;
  }

  async markRedriven(id: string, mark: RedriveMark & { readonly redriveCount: number }): Promise<boolean> {
    const a = OPERATOR_ATTRIBUTES;
    return this.changeStatus(id, "redriven", {
      redriveCount: { N: String(mark.redriveCount) },
      [a.redrivenAt]: { S: mark.at },
      [a.redriveRunId]: { S: mark.runId },
      [a.redriveTopic]: { S: mark.topic },
      [a.redrivePartition]: { N: String(mark.partition) },
      [a.redriveOffset]: { N: String(mark.offset) },
    });
  }

  async markDiscarded(id: string, mark: DiscardMark): Promise<boolean> {
    const a = OPERATOR_ATTRIBUTES;
    return this.changeStatus(id, "discarded", {
      [a.discardedAt]: { S: mark.at },
      [a.discardReason]: { S: mark.reason || "-" },
    });
  }

  /** Moves a `new` letter to another status; false when it was not `new` any more. */
  private async changeStatus(id: string, status: string, attributes: Item): Promise<boolean> {
    const names: Record<string, string> = {
      "#status": "status",
      "#gsi2pk": DEAD_LETTER_TABLE.byStatusIndex.partitionKey,
    };
    const values: Item = { ":status": { S: status }, ":new": { S: "new" } };
    const sets = ["#status = :status", "#gsi2pk = :status"];
    Object.entries(attributes).forEach(([name, value], i) => {
      names[`#a${i}`] = name;
      values[`:a${i}`] = value;
      sets.push(`#a${i} = :a${i}`);
    });
    try {
      await this.options.client.send(
        new UpdateItemCommand({
          TableName: this.options.table,
          Key: deadLetterKey(id),
          UpdateExpression: `SET ${sets.join(", ")}`,
          ConditionExpression: "attribute_exists(#status) AND #status = :new",
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw translateAwsError(error, `marking dead letter ${id} ${status} in ${this.options.table}`);
    }
  }

  private async *items(
    query: IndexQuery,
    newestFirst: boolean,
    after: string | undefined,
    order: ListingOrder,
  ): AsyncGenerator<DeadLetterView> {
    let start: Item | undefined;
    do {
      const page = await this.query({
        ...this.input(query, newestFirst),
        Limit: this.options.pageSize ?? 100,
        ExclusiveStartKey: start,
      });
      for (const item of page.Items ?? []) {
        const view = viewOf(item);
        // Items without an id are not dead letters (another writer's test data): never shown.
        if (view.id !== "" && isBeyond(view.sortKey, after, order)) yield view;
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
  }

  private input(query: IndexQuery, newestFirst: boolean): QueryCommandInput {
    const names: Record<string, string> = { "#pk": query.partitionKey, "#sk": query.sortKey };
    const values: Item = {
      ":pk": { S: query.partitionValue },
      ":lower": { S: query.lower },
      ":upper": { S: query.upper },
    };
    const filters: string[] = [];
    if (query.statuses !== undefined) {
      names["#status"] = "status";
      const placeholders = query.statuses.map((status, i) => {
        values[`:status${i}`] = { S: status };
        return `:status${i}`;
      });
      filters.push(`#status IN (${placeholders.join(", ")})`);
    }
    if (query.stage !== undefined) {
      names["#stage"] = "stage";
      values[":stage"] = { S: query.stage };
      filters.push("#stage = :stage");
    }
    if (query.errorClass !== undefined) {
      names["#errorClass"] = "errorClass";
      values[":errorClass"] = { S: query.errorClass };
      filters.push("#errorClass = :errorClass");
    }
    return {
      TableName: this.options.table,
      IndexName: query.indexName,
      KeyConditionExpression: "#pk = :pk AND #sk BETWEEN :lower AND :upper",
      ...(filters.length > 0 ? { FilterExpression: filters.join(" AND ") } : {}),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: !newestFirst,
    };
  }

  private async query(input: QueryCommandInput) {
    try {
      return await this.options.client.send(new QueryCommand(input));
    } catch (error) {
      throw translateAwsError(error, `querying ${input.IndexName ?? "the index"} of ${this.options.table}`);
    }
  }
}

/** The processor's item plus what operators did with it. */
export function viewOf(item: Item): DeadLetterView {
  const letter = parseDeadLetterItem(item);
  const s = (name: string) => item[name]?.S;
  const n = (name: string) => (item[name]?.N === undefined ? undefined : Number(item[name]?.N));
  const a = OPERATOR_ATTRIBUTES;
  const redrivenAt = s(a.redrivenAt);
  const discardedAt = s(a.discardedAt);
  return {
    ...letter,
    sortKey: s(DEAD_LETTER_TABLE.byTopicIndex.sortKey) ?? `${letter.failedAt}#${letter.id}`,
    redrive:
      redrivenAt === undefined
        ? undefined
        : {
            at: redrivenAt,
            runId: s(a.redriveRunId) ?? "",
            topic: s(a.redriveTopic) ?? "",
            partition: n(a.redrivePartition) ?? -1,
            offset: n(a.redriveOffset) ?? -1,
          },
    discard: discardedAt === undefined ? undefined : { at: discardedAt, reason: s(a.discardReason) ?? "" },
  };
}
