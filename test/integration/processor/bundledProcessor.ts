/**
 * Entry of the processor bundle the integration tests run: the deployed wiring
 * (`createProcessorHandler`: config, clients, middy, logger, metrics) with the example employee
 * pipeline on the test's own topics, built with the construct's bundle definition.
 */
import { definePipeline } from "../../../functions/lib/core/pipeline";
import { createProcessorHandler } from "../../../functions/lib/lambda/processorHandler";
import { employeeRecords } from "../../../functions/processor/pipelines";

const source = process.env.IT_SOURCE_TOPIC ?? "it.proc.unset";

export const { handler, parts } = createProcessorHandler([
  definePipeline({ sourceTopic: source, targetTopic: `${source}.out`, ...employeeRecords }),
]);
