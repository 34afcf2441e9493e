/**
 * What a run counts: the mapping's counters in the vocabulary of its metrics (EventCount,
 * ErrorCount), and the function's, as Lambda's REPORT lines would add them up.
 */

/** The function's side: one entry per invocation, like the REPORT line Lambda writes for each. */
export interface RuntimeStats {
  /** Sandboxes started (INIT run): the first invocation and every one after a sandbox died. */
  readonly coldStarts: number;
  /** Invocations killed at the timeout. */
  readonly timeouts: number;
  /** Sandboxes killed because their resident memory passed the memory size. */
  readonly outOfMemory: number;
  /** Invocations that ended with the runtime process gone (exit, crash, kill, out of memory). */
  readonly runtimeExits: number;
  /** Sandboxes SIGKILLed by a fault hook (`sandboxes.killAny()`, `faults.killAfterMs`). */
  readonly injectedKills: number;
  /** Peak resident memory of any sandbox, in MB (MiB, as Lambda counts); 0 in process. */
  readonly maxMemoryUsedMb: number;
  /** Longest INIT, in ms; 0 in process. */
  readonly maxInitDurationMs: number;
  readonly durationP50Ms: number;
  readonly durationP99Ms: number;
}

export interface EmulatorStats {
  readonly polled: number;
  readonly invocations: number;
  readonly succeeded: number;
  readonly partialResponses: number;
  /** Invocations whose handler threw (or, in a sandbox, whose runtime crashed or ran out of memory). */
  readonly functionErrors: number;
  readonly timeouts: number;
  readonly invalidResponses: number;
  /** Records delivered again after a partial response or a failed invocation. */
  readonly redeliveredRecords: number;
  readonly bisections: number;
  readonly onFailureRecords: number;
  readonly onFailureBatches: number;
  readonly onFailureDeliveryErrors: number;
  /** Times the mapping's schema registry could not answer (Lambda's ErrorCount `SchemaRegistryError`). */
  readonly schemaRegistryErrors: number;
  /** Records given up without an on-failure destination (Lambda's `Dropped`). */
  readonly droppedRecords: number;
  /** Records whose offsets are committed. */
  readonly committedRecords: number;
  readonly commitErrors: number;
  /** Records fetched and not yet done. */
  readonly outstanding: number;
  readonly runtime: RuntimeStats;
}

/** The counters the mapping's parts add to while a run goes on. */
export type MappingCounters = {
  -readonly [K in Exclude<keyof EmulatorStats, "outstanding" | "runtime">]: EmulatorStats[K];
};

export function createMappingCounters(): MappingCounters {
  return {
    polled: 0,
    invocations: 0,
    succeeded: 0,
    partialResponses: 0,
    functionErrors: 0,
    timeouts: 0,
    invalidResponses: 0,
    redeliveredRecords: 0,
    bisections: 0,
    onFailureRecords: 0,
    onFailureBatches: 0,
    onFailureDeliveryErrors: 0,
    schemaRegistryErrors: 0,
    droppedRecords: 0,
    committedRecords: 0,
    commitErrors: 0,
  };
}
