import { describe, expect, it } from "vitest";
import { copyFloor } from "../../../bench/copyFloor";
import { buildWorkload, SOURCE_TOPIC } from "../../../bench/workload";
import { LINEAGE_HEADER_PREFIX } from "../../../functions/lib/core/headers";
import { KafkaBatchProcessor } from "../../../functions/lib/core/KafkaBatchProcessor";
import { definePipeline } from "../../../functions/lib/core/pipeline";
import { employeeRecords } from "../../../functions/processor/pipelines";
import { MemoryArchive, MemoryMessageSink } from "../../doubles/memorySinks";
import { lambdaContext } from "../../fixtures";

/**
 * The copy floor bounds the processing benchmark only if it carries what the processor's outputs
 * carry: the same keys, values and source headers, for the same records.
 */
describe("copyFloor", () => {
  it("writes the processor's outputs, minus the lineage headers", async () => {
    const workload = buildWorkload(SOURCE_TOPIC, 300);
    const sink = new MemoryMessageSink();
    const processor = new KafkaBatchProcessor({
      pipelines: [definePipeline({ sourceTopic: SOURCE_TOPIC, targetTopic: "out", ...employeeRecords })],
      sink,
      archive: new MemoryArchive(),
    });
    await processor.process(workload.event, lambdaContext());

    const ours = sink.messages("out").map((m) => ({
      key: m.key?.toString("hex"),
      value: m.value?.toString("utf8"),
      headers: m.headers
        .filter((h) => !h.name.startsWith(LINEAGE_HEADER_PREFIX))
        .map((h) => [h.name, h.value.toString("hex")]),
    }));
    const floor = copyFloor(workload.event, employeeRecords.schema, employeeRecords.transform).map((m) => ({
      key: m.key?.toString("hex"),
      value: m.value,
      headers: m.headers.map((h) => [h.name, h.value.toString("hex")]),
    }));

    expect(floor.length).toBe(workload.recordCount - workload.invalidCount);
    expect(floor[0]?.headers).toEqual([["source", Buffer.from("bench").toString("hex")]]);
    // The processor's partitions write concurrently, so the sink's order interleaves: by key.
    const byKey = (a: { key?: string }, b: { key?: string }) => (a.key ?? "").localeCompare(b.key ?? "");
    expect(floor.sort(byKey)).toEqual(ours.sort(byKey));
  });
});
