/**
 * The processor Lambda for one end-to-end scenario, wired as `functions/processor/handler.ts` wires
 * it but with the scenario's own topics (from the function's environment), so the tests can bundle
 * it as the construct bundles the processor and run it in the emulator's sandbox.
 *
 * Variables: SCENARIO_SOURCE_TOPIC, SCENARIO_TARGET_TOPIC, SCENARIO_DLQ_TOPIC; SCENARIO_POISON_KEY
 * (any batch holding a record with this key throws, as a function with a bug for one input would);
 * SCENARIO_DELAY_MS (each invocation waits this long first, so faults meet batches in flight).
 */
import type { Context } from "aws-lambda";
import { loadConfig } from "../../../functions/lib/config";
import { definePipeline } from "../../../functions/lib/core/pipeline";
import { silentLogger } from "../../../functions/lib/core/ports";
import type { KafkaEvent } from "../../../functions/lib/core/types";
import { createProcessor } from "../../../functions/lib/lambda/createProcessor";
import { withKafkaBatchProcessing } from "../../../functions/lib/lambda/withKafkaBatchProcessing";
import { employeeSchema } from "../../../functions/processor/pipelines";

const env = process.env;
const required = (name: string): string => {
  const value = env[name];
  if (value === undefined || value === "") throw new Error(`${name} is not set`);
  return value;
};

const pipeline = definePipeline({
  sourceTopic: required("SCENARIO_SOURCE_TOPIC"),
  targetTopic: required("SCENARIO_TARGET_TOPIC"),
  dlqTopic: required("SCENARIO_DLQ_TOPIC"),
  schema: employeeSchema,
  transform: (employee) => ({ ...employee, "Employee-Number": `EMP-${employee["Employee-Number"]}` }),
});
const { processor } = createProcessor(loadConfig(), [pipeline], silentLogger);
const process_ = withKafkaBatchProcessing({ processor });
const poisonKey =
  env.SCENARIO_POISON_KEY === undefined ? undefined : Buffer.from(env.SCENARIO_POISON_KEY).toString("base64");
const delayMs = Number(env.SCENARIO_DELAY_MS ?? 0);

export async function handler(event: KafkaEvent, context: Context): Promise<unknown> {
  if (
    poisonKey !== undefined &&
    Object.values(event.records)
      .flat()
      .some((r) => r.key === poisonKey)
  ) {
    throw new Error("cannot handle the poison employee");
  }
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  return process_(event, context);
}
