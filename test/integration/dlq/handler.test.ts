import { readFileSync } from "node:fs";
import type { Context } from "aws-lambda";
import { type Admin, Kafka } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { loadConfig } from "../../../functions/lib/config";
import { definePipeline } from "../../../functions/lib/core/pipeline";
import { silentLogger } from "../../../functions/lib/core/ports";
import { createProcessor } from "../../../functions/lib/lambda/createProcessor";
import type { RedriveSummary } from "../../../functions/lib/redrive/types";
import { localKafkaConfig } from "../../../stack/clients";
import { buildEvent, lambdaContext } from "../../fixtures";
import { type BundledHandler, loadRedriveBundle } from "./redriveBundle";
import { pipelineTopics } from "./support";

/**
 * A Lambda context whose remaining time drops below the handler's margin after `calls` reads. middy
 * reads it once per invocation (its early-timeout timer); the handler reads it before each batch.
 */
function contextRunningOut(calls: number): Context {
  let asked = 0;
  return {
    functionName: "kafka-redrive",
    functionVersion: "$LATEST",
    awsRequestId: "req-redrive",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:111122223333:function:kafka-redrive",
    memoryLimitInMB: "512",
    logGroupName: "/aws/lambda/kafka-redrive",
    logStreamName: "stream",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => {
      asked += 1;
      return asked <= calls ? 600_000 : 1_000;
    },
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

describe("the redrive Lambda, as the bundle the construct deploys", () => {
  const kafka = new Kafka(localKafkaConfig({ clientId: "it-dlq-handler" }));
  let admin: Admin;
  let topics: Awaited<ReturnType<typeof pipelineTopics>>;
  let handler: BundledHandler;
  let bundle: string;

  beforeAll(async () => {
    ({ handler, file: bundle } = await loadRedriveBundle());
    admin = kafka.admin();
    await admin.connect();
    topics = await pipelineTopics(admin, "handler");
    const pipeline = definePipeline({
      sourceTopic: topics.source,
      targetTopic: topics.target,
      dlqTopic: topics.dlq,
      schema: z.object({ never: z.literal(true) }),
      transform: (v) => v,
    });
    const { processor, sink } = createProcessor(loadConfig(), [pipeline], silentLogger);
    await processor.process(
      buildEvent(
        [0, 1, 2].map((offset) => ({ topic: topics.source, partition: 0, offset, value: { offset } })),
      ),
      lambdaContext(),
    );
    await sink.disconnect();
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect();
  });

  it("stops before its deadline with a resumable run, and finishes when invoked with the run id", async () => {
    const first = (await handler(
      { topic: topics.source, batchSize: 1 },
      contextRunningOut(2),
    )) as RedriveSummary;

    expect(first).toMatchObject({ state: "interrupted", counts: { replayed: 1 } });
    expect(first.stoppedBecause).toContain('invoke again with {"resume": runId}');

    const second = (await handler({ resume: first.runId }, contextRunningOut(100))) as RedriveSummary;

    expect(second).toMatchObject({
      state: "completed",
      resumed: true,
      counts: { replayed: 2 },
      total: { replayed: 3 },
    });
  });

  it("runs from the minified bundle, whose class names are mangled", () => {
    const code = readFileSync(bundle, "utf8");

    // A boolean, so a failure does not print megabytes of bundle.
    expect(code.includes("class RedriveInputError")).toBe(false);
    expect(code.includes('"RedriveInputError"')).toBe(true);
  });

  it("rejects a malformed event as bad input, under the error's own name despite minification", async () => {
    await expect(
      handler({ topic: topics.source, since: "soon" }, contextRunningOut(100)),
    ).rejects.toMatchObject({
      name: "RedriveInputError",
      message: expect.stringContaining('since "soon" is not a time'),
    });
  });
});
