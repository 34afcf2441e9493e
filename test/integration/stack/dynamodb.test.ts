import {
  ConditionalCheckFailedException,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../functions/lib/config";
import { DEAD_LETTER_TABLE } from "../../../functions/lib/tables";
import { localDynamoDbClientConfig } from "../../../stack/clients";
import { uniqueName } from "../../support/names";

const T = DEAD_LETTER_TABLE;

describe("DynamoDB Local through @aws-sdk/client-dynamodb", () => {
  const config = loadConfig();
  const table = config.tables.deadLetters;
  const dynamodb = new DynamoDBClient(localDynamoDbClientConfig(config));

  afterAll(() => dynamodb.destroy());

  function deadLetter(pk: string, sk: string, topic: string, failedAt: string) {
    return {
      [T.partitionKey]: { S: pk },
      [T.sortKey]: { S: sk },
      [T.byTopicIndex.partitionKey]: { S: topic },
      [T.byTopicIndex.sortKey]: { S: `${failedAt}#0#${sk}` },
      [T.byStatusIndex.partitionKey]: { S: "new" },
      [T.byStatusIndex.sortKey]: { S: failedAt },
    };
  }

  it("writes an item and reads it back by key", async () => {
    const pk = uniqueName("it-stack-ddb", "get");
    const item = deadLetter(pk, "0", "employees", "2025-01-01T00:00:00.000Z");

    await dynamodb.send(new PutItemCommand({ TableName: table, Item: item }));
    const got = await dynamodb.send(
      new GetItemCommand({ TableName: table, Key: { [T.partitionKey]: { S: pk }, [T.sortKey]: { S: "0" } } }),
    );

    expect(got.Item).toEqual(item);
  });

  it("refuses a conditional write on an existing key with ConditionalCheckFailedException", async () => {
    const pk = uniqueName("it-stack-ddb", "conditional");
    const item = deadLetter(pk, "0", "employees", "2025-01-01T00:00:00.000Z");
    const putIfAbsent = () =>
      dynamodb.send(
        new PutItemCommand({
          TableName: table,
          Item: item,
          ConditionExpression: "attribute_not_exists(#pk)",
          ExpressionAttributeNames: { "#pk": T.partitionKey },
        }),
      );

    await putIfAbsent();
    const second = putIfAbsent();

    await expect(second).rejects.toBeInstanceOf(ConditionalCheckFailedException);
  });

  it("queries the by-topic index newest first", async () => {
    const topic = uniqueName("it-stack-ddb", "topic");
    const times = ["2025-01-01T00:00:01.000Z", "2025-01-01T00:00:03.000Z", "2025-01-01T00:00:02.000Z"];
    for (const [i, failedAt] of times.entries()) {
      await dynamodb.send(
        new PutItemCommand({
          TableName: table,
          Item: deadLetter(`${topic}#${i}`, String(i), topic, failedAt),
        }),
      );
    }

    const result = await dynamodb.send(
      new QueryCommand({
        TableName: table,
        IndexName: T.byTopicIndex.name,
        KeyConditionExpression: "#pk = :topic",
        ExpressionAttributeNames: { "#pk": T.byTopicIndex.partitionKey },
        ExpressionAttributeValues: { ":topic": { S: topic } },
        ScanIndexForward: false,
      }),
    );

    expect(result.Items?.map((item) => item[T.byStatusIndex.sortKey]?.S)).toEqual([
      "2025-01-01T00:00:03.000Z",
      "2025-01-01T00:00:02.000Z",
      "2025-01-01T00:00:01.000Z",
    ]);
  });

  it("queries a partition by sort-key prefix", async () => {
    const pk = uniqueName("it-stack-ddb", "prefix");
    for (const sk of ["2#10", "2#11", "3#10"]) {
      await dynamodb.send(
        new PutItemCommand({
          TableName: table,
          Item: deadLetter(pk, sk, "employees", "2025-01-01T00:00:00Z"),
        }),
      );
    }

    const result = await dynamodb.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :partition)",
        ExpressionAttributeNames: { "#pk": T.partitionKey, "#sk": T.sortKey },
        ExpressionAttributeValues: { ":pk": { S: pk }, ":partition": { S: "2#" } },
      }),
    );

    expect(result.Items?.map((item) => item[T.sortKey]?.S)).toEqual(["2#10", "2#11"]);
  });

  it.each([
    ["dead letters", config.tables.deadLetters],
    ["attempts", config.tables.attempts],
  ])("has TTL enabled on the %s table", async (_, tableName) => {
    const ttl = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: tableName }));

    expect(ttl.TimeToLiveDescription).toMatchObject({
      AttributeName: "expiresAt",
      TimeToLiveStatus: "ENABLED",
    });
  });
});
