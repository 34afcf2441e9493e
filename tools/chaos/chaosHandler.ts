/**
 * The function a chaos run deploys to its sandboxes: the processor's own wiring
 * (`createProcessorHandler`) with the example employee pipeline on the run's topics, bundled as
 * the construct bundles the processor.
 */
import { definePipeline } from "../../functions/lib/core/pipeline";
import { createProcessorHandler } from "../../functions/lib/lambda/processorHandler";
import { employeeRecords } from "../../functions/processor/pipelines";

const source = process.env.CHAOS_SOURCE_TOPIC ?? "chaos.unset";

export const { handler } = createProcessorHandler([
  definePipeline({
    sourceTopic: source,
    targetTopic: `${source}.out`,
    dlqTopic: `${source}.dlq`,
    ...employeeRecords,
  }),
]);
