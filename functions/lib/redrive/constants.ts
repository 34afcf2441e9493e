import type { DeadLetterStatus } from "../adapters/DynamoDeadLetterIndex";

/** A dead letter whose record was already redriven this often is refused, so nothing loops forever. */
export const DEFAULT_MAX_REDRIVES = 3;

/** Records per produce request and per status-update round: also the most a crash can duplicate. */
export const DEFAULT_REDRIVE_BATCH_SIZE = 25;

/** Records per second a redrive produces unless told otherwise: gentle on a recovering consumer. */
export const DEFAULT_REDRIVE_RATE = 100;

/**
 * The index statuses, as a record so the compiler checks the list against the index's own type
 * (the values live in an adapter, which the pure code must not import).
 */
const STATUS_SET: Readonly<Record<DeadLetterStatus, true>> = { new: true, redriven: true, discarded: true };
export const STATUS_NAMES = Object.keys(STATUS_SET) as readonly DeadLetterStatus[];

/** What the run checkpoint says about a run. */
export const REDRIVE_RUN_STATES = {
  running: "running",
  /** Stopped on purpose (Ctrl-C, Lambda deadline, --max reached is `completed`): resume continues. */
  interrupted: "interrupted",
  failed: "failed",
  completed: "completed",
} as const;
export type RedriveRunState = (typeof REDRIVE_RUN_STATES)[keyof typeof REDRIVE_RUN_STATES];

/** Where a redrive reads its records from. */
export const REPLAY_SOURCES = {
  /** The dead-letter index (DynamoDB) with the envelopes archived in S3 by the processor. */
  index: "index",
  /** The documents Lambda's event source mapping wrote to its S3 on-failure destination. */
  onFailure: "on-failure",
} as const;
export type ReplaySourceKind = (typeof REPLAY_SOURCES)[keyof typeof REPLAY_SOURCES];
