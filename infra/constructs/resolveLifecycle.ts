import { DEFAULTS } from "./defaults";
import { PipelinePropsError } from "./errors";
import type { ArchiveLifecycle } from "./types";

/** Days between an index entry's expiry and its archive object's move to GLACIER. */
export const INDEX_EXPIRY_MARGIN_DAYS = 7;

/**
 * Storage-class transitions and expiry of the archive, checked against S3's rules and against the
 * dead-letter index: an archived envelope must stay readable (not GLACIER) as long as the index,
 * whose entries expire after `indexRetentionDays`, can point at it.
 */
export function resolveLifecycle(
  lifecycle: ArchiveLifecycle,
  indexRetentionDays: number,
): Required<ArchiveLifecycle> {
  const resolved = {
    transitionToInfrequentAccessAfter:
      lifecycle.transitionToInfrequentAccessAfter ?? DEFAULTS.transitionToInfrequentAccessAfter,
    transitionToGlacierAfter: lifecycle.transitionToGlacierAfter ?? DEFAULTS.transitionToGlacierAfter,
    expireAfter: lifecycle.expireAfter ?? DEFAULTS.expireAfter,
    noncurrentVersionExpireAfter:
      lifecycle.noncurrentVersionExpireAfter ?? DEFAULTS.noncurrentVersionExpireAfter,
  };
  const ia = resolved.transitionToInfrequentAccessAfter.toDays();
  const glacier = resolved.transitionToGlacierAfter.toDays();
  const expire = resolved.expireAfter.toDays();
  if (ia < 30) {
    throw new PipelinePropsError(
      "archiveLifecycle.transitionToInfrequentAccessAfter",
      `must be at least 30 days (an S3 rule for STANDARD_IA), got ${ia}`,
    );
  }
  // S3 moves an object out of STANDARD_IA no earlier than 30 days after it got there
  // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html).
  if (glacier < ia + 30) {
    throw new PipelinePropsError(
      "archiveLifecycle.transitionToGlacierAfter",
      `(${glacier} days) must be at least 30 days after the infrequent-access transition (${ia} days): ` +
        "S3 keeps objects in STANDARD_IA for 30 days before another transition",
    );
  }
  // GetObject fails on a GLACIER object until it is restored, so the redrive could not read a dead
  // letter the index still lists. DynamoDB deletes expired items "typically within two days"
  // (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTimeToLive.html).
  if (glacier < indexRetentionDays + INDEX_EXPIRY_MARGIN_DAYS) {
    throw new PipelinePropsError(
      "archiveLifecycle.transitionToGlacierAfter",
      `(${glacier} days) must be at least ${INDEX_EXPIRY_MARGIN_DAYS} days after the dead-letter index's ` +
        `retention (deadLetterRetention, ${indexRetentionDays} days): an archived dead letter must stay ` +
        "readable as long as the index lists it",
    );
  }
  if (expire <= glacier) {
    throw new PipelinePropsError(
      "archiveLifecycle.expireAfter",
      `(${expire} days) must come after the Glacier transition (${glacier} days)`,
    );
  }
  if (resolved.noncurrentVersionExpireAfter.toDays() < 1) {
    throw new PipelinePropsError("archiveLifecycle.noncurrentVersionExpireAfter", "must be at least 1 day");
  }
  return resolved;
}
