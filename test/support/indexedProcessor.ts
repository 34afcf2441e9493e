import { KafkaBatchProcessor } from "../../functions/lib/core/KafkaBatchProcessor";
import type { DeadLetterIndex } from "../../functions/lib/core/ports";
import { pipelines } from "../../functions/processor/pipelines";
import { fakeClock } from "../doubles/fakeClock";
import { MemoryArchive, type MemoryMessageSink } from "../doubles/memorySinks";

/** The example pipelines with a given dead-letter index, in-memory sinks and a fixed clock. */
export function processorWithIndex(
  index: DeadLetterIndex,
  sink: MemoryMessageSink,
  archive: MemoryArchive = new MemoryArchive(),
): KafkaBatchProcessor {
  return new KafkaBatchProcessor({
    pipelines,
    sink,
    archive,
    index,
    ...fakeClock(1_763_800_100_000),
    random: () => 0,
  });
}
