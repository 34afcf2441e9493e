import type { Kafka } from "kafkajs";
import { describe, expect, it } from "vitest";
import { BatchDelivery } from "../../../emulator/BatchDelivery";
import { createMappingCounters } from "../../../emulator/emulatorStats";
import { toPolledRecord } from "../../../emulator/eventBuilder";
import type { FunctionInvoker, InvocationResult } from "../../../emulator/functionInvoker";
import { silentEmulatorLogger } from "../../../emulator/logger";
import { MappingSchemaRegistry } from "../../../emulator/MappingSchemaRegistry";
import { OnFailureSender } from "../../../emulator/OnFailureSender";
import { type Pending, pendingOf } from "../../../emulator/pendingRecords";
import { RetryQueue } from "../../../emulator/RetryQueue";
import { RuntimeReports } from "../../../emulator/RuntimeReports";
import { resolveMappingSettings } from "../../../emulator/settings";
import type { FailedBatch, InvocationOutcome } from "../../../emulator/types";
import { encodeConfluentFrame } from "../../../functions/lib/formats/confluentWire";
import { MemorySchemaRegistry } from "../../doubles/memorySchemaRegistry";
import { message, polled } from "./records";

const envelope = {
  eventSource: "SelfManagedKafka" as const,
  eventSourceArn: undefined,
  bootstrapServers: "b:9092",
};

/** A delivery whose function answers with the outcomes given, one per invocation. */
function delivery(
  outcomes: InvocationOutcome[],
  settings = { retryAttempts: 1, bisectBatchOnError: false },
  schemaRegistry?: MappingSchemaRegistry,
) {
  const invoked: string[] = [];
  const delivered: FailedBatch[] = [];
  const putBack: { id: string; offsets: number[] }[] = [];
  const counters = createMappingCounters();
  const retryQueue = new RetryQueue();
  const invoker: FunctionInvoker = {
    invoke: async (request): Promise<InvocationResult> => {
      invoked.push(request.eventJson);
      return {
        outcome: outcomes.shift() ?? { kind: "returned", value: null },
        report: {
          requestId: request.requestId,
          durationMs: 1,
          billedDurationMs: 1,
          memorySizeMb: 512,
          maxMemoryUsedMb: undefined,
          initDurationMs: undefined,
          status: "success",
          errorType: undefined,
          injectedKill: false,
        },
      };
    },
    close: async () => undefined,
  };
  const resolved = resolveMappingSettings({
    topics: ["orders"],
    retryBackoffMs: 0,
    onFailure: "kafka://orders.failed",
    ...settings,
  });
  const onFailure = new OnFailureSender({
    settings: resolved,
    kafka: {} as Kafka,
    envelope,
    functionArn: "arn",
    destination: {
      description: "test",
      deliver: async (batch) => {
        delivered.push(batch);
        return ["test://1"];
      },
      close: async () => undefined,
    },
    counters,
    logger: silentEmulatorLogger,
    sleep: async () => undefined,
    isStopping: () => false,
  });
  const subject = new BatchDelivery({
    settings: resolved,
    envelope,
    invoker,
    onFailure,
    retryQueue,
    putBack: (id, records) => putBack.push({ id, offsets: records.map((r) => r.offset) }),
    counters,
    reports: new RuntimeReports(),
    logger: silentEmulatorLogger,
    sleep: async () => undefined,
    ...(schemaRegistry === undefined ? {} : { schemaRegistry }),
  });
  return { subject, delivered, putBack, counters, retryQueue, invoked };
}

function batch(): Pending[] {
  return polled("orders", 0, [5, 6, 7]).map(pendingOf);
}

describe("BatchDelivery", () => {
  it("retries a batch whose sandbox ran out of memory, then sends it to the destination once retries run out", async () => {
    const oom = {
      kind: "runtime-exited",
      errorType: "Runtime.OutOfMemory",
      message: "Runtime exited with error: signal: killed",
    } as const;
    const { subject, delivered, counters, retryQueue } = delivery([oom, oom]);
    const records = batch();

    await subject.deliver(records);
    expect(counters).toMatchObject({ invocations: 1, functionErrors: 1, redeliveredRecords: 3 });
    const retry = retryQueue.takeReady(new Set()) ?? [];
    expect(retry.map((p) => [p.offset, p.failedAttempts])).toEqual([
      [5, 1],
      [6, 1],
      [7, 1],
    ]);

    await subject.deliver(retry);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({
      condition: "RetryAttemptsExhausted",
      invokeCount: 2,
      functionError: "Unhandled",
    });
    expect(counters).toMatchObject({ invocations: 2, onFailureRecords: 3 });
  });

  it("counts a timeout as a timeout, not a function error", async () => {
    const { subject, counters } = delivery([{ kind: "timed-out", timeoutMs: 3_000 }]);

    await subject.deliver(batch());

    expect(counters).toMatchObject({ timeouts: 1, functionErrors: 0 });
  });

  it("puts a partial response's reported record and those after it back at the head of the partition", async () => {
    const { subject, putBack, counters } = delivery([
      {
        kind: "returned",
        value: { batchItemFailures: [{ itemIdentifier: { partition: "orders-0", offset: 6 } }] },
      },
    ]);

    await subject.deliver(batch());

    expect(putBack).toEqual([{ id: "orders-0", offsets: [6, 7] }]);
    expect(counters).toMatchObject({ partialResponses: 1, redeliveredRecords: 2 });
  });
});

describe("BatchDelivery with the mapping's schema registry", () => {
  const registryWith = () => {
    const registry = new MemorySchemaRegistry();
    const id = Number(registry.register("orders-value", "JSON", '{"type":"object"}'));
    return { registry, id, mapping: new MappingSchemaRegistry({ registry }) };
  };
  const records = (id: number) =>
    [
      encodeConfluentFrame(id, Buffer.from('{"n":1}')),
      encodeConfluentFrame(4242, Buffer.from('{"n":2}')),
      Buffer.from('{"n":3}'),
    ].map((value, i) => pendingOf(toPolledRecord("orders", 0, message(10 + i, value))));

  it("invokes with the deserialized records and sends the others to the destination with the mapping's reasons", async () => {
    const { id, mapping } = registryWith();
    const { subject, delivered, invoked } = delivery([], undefined, mapping);

    await subject.deliver(records(id));

    expect(delivered.map((b) => [b.condition, b.records.map((r) => r.offset), b.invokeCount])).toEqual([
      ["SCHEMA_NOT_FOUND", [11], 0],
      ["DESERIALIZATION_ERROR", [12], 0],
    ]);
    const event = JSON.parse(invoked[0] as string);
    expect(event.records["orders-0"].map((r: { offset: number }) => r.offset)).toEqual([10]);
    expect(event.records["orders-0"][0].valueSchemaMetadata).toEqual({
      dataFormat: "JSON",
      schemaId: String(id),
    });
  });

  it("holds the records back while the registry is down, invoking nothing", async () => {
    const { id, mapping, registry } = registryWith();
    const { subject, delivered, invoked, counters, retryQueue } = delivery([], undefined, mapping);
    registry.down = true;

    await subject.deliver(records(id));

    expect(invoked).toEqual([]);
    expect(delivered).toEqual([]);
    expect(counters.schemaRegistryErrors).toBe(1);
    expect(retryQueue.takeReady(new Set())?.map((p) => p.offset)).toEqual([10, 11, 12]);
  });
});
