import { REPLAY_SOURCES } from "./constants";
import { matchesFilter } from "./deadLetterFilter";
import { OnFailureDocumentError, parseOnFailureDocument } from "./onFailureDocument";
import type { LoadFailure, OnFailureDocumentStore, ReplayedEntry, ReplayLedger, ReplaySource } from "./ports";
import { redriveCountInHeaders } from "./replayMessage";
import type { DeadLetterFilter, ReplayCandidate, ReplayRecord } from "./types";

/**
 * Records of the batches Lambda itself gave up on, read from the documents its S3 on-failure
 * destination holds. They have no index item, so a ledger records each replay and is the
 * checkpoint; the loop guard reads the records' own `x-redrive-count` header.
 *
 * A document that cannot be read is reported as one failed candidate named by its object key.
 */
export class OnFailureReplaySource implements ReplaySource {
  readonly kind = REPLAY_SOURCES.onFailure;

  constructor(
    private readonly documents: OnFailureDocumentStore,
    private readonly ledger: ReplayLedger,
    private readonly location: { readonly bucket: string; readonly prefix: string },
    private readonly filter: DeadLetterFilter,
  ) {}

  async count(): Promise<number | undefined> {
    return undefined;
  }

  async *candidates(): AsyncGenerator<ReplayCandidate> {
    const { bucket, prefix } = this.location;
    const everyStatus = { ...this.filter, statuses: ["new", "redriven", "discarded"] as const };
    for await (const object of this.documents.list(bucket, prefix)) {
      let batch: ReturnType<typeof parseOnFailureDocument>;
      try {
        batch = parseOnFailureDocument(await this.documents.read(bucket, object.key), object.key);
      } catch (error) {
        if (!(error instanceof OnFailureDocumentError)) throw error;
        yield unreadable(`s3://${bucket}/${object.key}`, error.message, object.lastModified);
        continue;
      }
      const selected = batch.candidates.filter((c) => matchesFilter(c, everyStatus));
      const done = await this.ledger.replayed(selected.map((c) => c.id));
      for (const candidate of selected) {
        yield {
          ...candidate,
          status: done.has(candidate.id) ? "redriven" : "new",
          redriveCount: candidate.record === undefined ? 0 : redriveCountInHeaders(candidate.record),
        };
      }
      for (const bad of batch.unreadable) yield unreadable(bad.id, bad.reason, batch.failedAt);
    }
  }

  async load(candidates: readonly ReplayCandidate[]): Promise<Map<string, ReplayRecord | LoadFailure>> {
    return new Map(
      candidates.map((c) => [c.id, c.record ?? { failure: c.unreadable ?? "the document holds no bytes" }]),
    );
  }

  async markReplayed(entries: readonly ReplayedEntry[]): Promise<ReadonlySet<string>> {
    await this.ledger.markReplayed(entries.map((e) => ({ ...e.mark, id: e.candidate.id })));
    return new Set();
  }
}

function unreadable(id: string, reason: string, failedAt: string): ReplayCandidate {
  return {
    id,
    topic: "",
    partition: -1,
    offset: -1,
    failedAt,
    stage: "on-failure",
    errorClass: "unreadable",
    status: "new",
    redriveCount: 0,
    unreadable: reason,
  };
}
