import { OUTCOMES, type RecordOutcome, type RetryOutcome, type SourceRecord } from "../types";

/** A record that waits for an earlier one of its partition; never counted as its own failure. */
export const PARTITION_BLOCKED = "PartitionBlocked";

export function producedOutcome(record: SourceRecord, targetTopic: string): RecordOutcome {
  return { kind: OUTCOMES.produced, record, targetTopic };
}

export function retryOutcome(
  record: SourceRecord,
  reason: string,
  errorClass: string,
  ownFailure: boolean,
): RetryOutcome {
  return { kind: OUTCOMES.retry, record, reason, errorClass, ownFailure };
}

export function blockedOutcome(record: SourceRecord, blockingOffset: number): RetryOutcome {
  return retryOutcome(
    record,
    `waits for offset ${blockingOffset} of its partition`,
    PARTITION_BLOCKED,
    false,
  );
}
