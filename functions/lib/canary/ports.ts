import type { CountedCanaryKind } from "./canaryRecord";

/**
 * Counts how often the function was handed each canary record of a run, in a store that outlives
 * the container (a redelivery may land in a new one): DynamoDB in AWS, memory in unit tests.
 */
export interface CanaryDeliveries {
  /** Counts this delivery and returns how many there have been, this one included (1 the first time). */
  count(runId: string, kind: CountedCanaryKind): Promise<number>;
}
