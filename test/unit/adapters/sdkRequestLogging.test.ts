import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { withoutRequestLogging } from "../../../functions/lib/adapters/sdkRequestLogging";
import { loadConfig } from "../../../functions/lib/config";
import { createDynamoClient } from "../../../functions/lib/lambda/createProcessor";

const hasRequestLogger = (client: DynamoDBClient) =>
  client.middlewareStack.identify().some((entry) => entry.startsWith("loggerMiddleware"));

describe("the SDK's request logger on the functions' clients (issue 11, dead-letter storms)", () => {
  it("is removed from the processor's DynamoDB client, which has no logger to feed", async () => {
    const client = await createDynamoClient(loadConfig({ AWS_REGION: "eu-west-1" }));

    expect(hasRequestLogger(client)).toBe(false);
    client.destroy();
  });

  it("stays on a client given a logger of its own", () => {
    const logger = { debug() {}, info() {}, warn() {}, error() {} };
    const client = withoutRequestLogging(new DynamoDBClient({ region: "eu-west-1", logger }), logger);

    expect(hasRequestLogger(client)).toBe(true);
    client.destroy();
  });
});
