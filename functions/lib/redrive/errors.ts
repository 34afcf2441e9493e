import { PipelineError } from "../core/errors";
import { ID_FORMS } from "./deadLetterIds";
import type { RedriveSummary } from "./types";

/*
 * Every class names itself: the deployed bundle is minified, so a name derived from the constructor
 * would read `Xo` in Lambda's error type, in logs and in the CLI's fallback message.
 */

/**
 * The operator asked for something that cannot be done as asked: a malformed time, an unknown
 * topic, a missing id. Reported as one line and exit code 2, never as a stack trace, because the fix
 * is in the command line, not in the code.
 */
export class RedriveInputError extends PipelineError {
  override readonly name: string = "RedriveInputError";
}

/** No dead letter has this id in the index. */
export class DeadLetterNotFoundError extends RedriveInputError {
  override readonly name: string = "DeadLetterNotFoundError";
  readonly id: string;

  constructor(id: string) {
    super(`no dead letter with id "${id}" (${ID_FORMS})`);
    this.id = id;
  }
}

/** A topic to replay to does not exist in the cluster; replay never creates topics. */
export class UnknownTopicError extends RedriveInputError {
  override readonly name: string = "UnknownTopicError";
  readonly topics: readonly string[];

  constructor(topics: readonly string[]) {
    super(
      `unknown topic${topics.length > 1 ? "s" : ""} ${topics.map((t) => `"${t}"`).join(", ")}: ` +
        "not in the cluster",
    );
    this.topics = topics;
  }
}

/**
 * An archive object exists but cannot be read, and reading it again will not help until someone
 * acts: archived to a Glacier storage class, access denied, or not a gzip JSON Lines archive. It
 * fails the letters it holds, never the run, so one such object cannot block every redrive.
 */
export class ArchiveUnreadableError extends PipelineError {
  override readonly name: string = "ArchiveUnreadableError";
}

/** A redrive stopped on an operational failure; what it did before is kept for the report. */
export class RedriveFailedError extends PipelineError {
  override readonly name: string = "RedriveFailedError";
  readonly summary: RedriveSummary;

  constructor(summary: RedriveSummary, cause: unknown) {
    super(
      `redrive ${summary.runId} failed after replaying ${summary.total.replayed} record(s): ` +
        `${cause instanceof Error ? cause.message : String(cause)}`,
      { cause, retriable: true },
    );
    this.summary = summary;
  }
}
