import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { BatchRetryError, MalformedEventError, TransientError } from "../../../functions/lib/core/errors";
import { type BatchResult, KafkaBatchProcessor } from "../../../functions/lib/core/KafkaBatchProcessor";
import { kafkaBatchProcessing } from "../../../functions/lib/lambda/kafkaBatchProcessing";
import { withKafkaBatchProcessing } from "../../../functions/lib/lambda/withKafkaBatchProcessing";
import { pipelines } from "../../../functions/processor/pipelines";
import { fakeClock } from "../../doubles/fakeClock";
import { MemoryArchive, MemoryMessageSink } from "../../doubles/memorySinks";
import { buildEvent, lambdaContext } from "../../fixtures";

const context = { ...lambdaContext(), callbackWaitsForEmptyEventLoop: false } as unknown as Context;
const employee = (offset: number, age: number) => ({
  topic: "employees",
  partition: 0,
  offset,
  value: { "Employee-Number": offset, name: "E", age },
});

function processorWith(sink = new MemoryMessageSink()) {
  return new KafkaBatchProcessor({
    pipelines,
    sink,
    archive: new MemoryArchive(),
    deadlineSafetyMs: 59_000,
    ...fakeClock(),
    random: () => 1,
  });
}

const handlers = {
  middleware: (options: Parameters<typeof kafkaBatchProcessing>[0]) =>
    middy<unknown, unknown>({ timeoutEarlyInMillis: 0 })
      .use(kafkaBatchProcessing(options))
      .handler(async () => "ignored"),
  wrapper: (options: Parameters<typeof withKafkaBatchProcessing>[0]) => withKafkaBatchProcessing(options),
};

describe.each(Object.entries(handlers))("Kafka batch handling as %s", (_name, make) => {
  it("returns the partial batch response and reports each batch once", async () => {
    const seen: BatchResult[] = [];
    const sink = new MemoryMessageSink((topic) =>
      topic === "employees.dlq" ? new TransientError("down") : undefined,
    );
    const handler = make({ processor: processorWith(sink), onBatchProcessed: (r) => void seen.push(r) });

    const response = await handler(buildEvent([employee(1, 30), employee(2, -1), employee(3, 30)]), context);

    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: "employees-0", offset: 2 } }],
    });
    expect(seen).toHaveLength(1);
  });

  it("throws when the whole batch must be retried, unless told not to", async () => {
    const down = () => new MemoryMessageSink(() => new TransientError("down"));
    const event = buildEvent([employee(1, 30)]);

    await expect(make({ processor: processorWith(down()) })(event, context)).rejects.toThrow(BatchRetryError);
    await expect(
      make({ processor: processorWith(down()), throwOnFullBatchFailure: false })(event, context),
    ).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: "employees-0", offset: 1 } }],
    });
  });

  it("lets a malformed event fail the invocation and logs why", async () => {
    const logged: string[] = [];
    const logger = {
      debug() {},
      info() {},
      warn() {},
      error: (message: string) => void logged.push(message),
    };

    await expect(make({ processor: processorWith(), logger })({ not: "kafka" }, context)).rejects.toThrow(
      MalformedEventError,
    );
    expect(logged).toEqual(["batch failed; Lambda will retry it"]);
  });
});
