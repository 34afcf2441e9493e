import type { RedriveRequest } from "../../../functions/lib/redrive/types";

/** A redrive of the topic `employees`'s new dead letters, as the tests' default. */
export function redriveRequest(overrides: Partial<RedriveRequest> = {}): RedriveRequest {
  return {
    source: { kind: "index" },
    filter: {
      ids: [],
      topic: "employees",
      since: undefined,
      until: undefined,
      stage: undefined,
      errorClass: undefined,
      statuses: ["new"],
    },
    toTopic: undefined,
    maxRedrives: 3,
    maxCount: undefined,
    ratePerSecond: 1_000,
    batchSize: 2,
    dryRun: false,
    ...overrides,
  };
}
