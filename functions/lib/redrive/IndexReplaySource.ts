import { REPLAY_SOURCES } from "./constants";
import { ArchiveUnreadableError } from "./errors";
import { LISTING_ORDERS } from "./indexQueries";
import type { DeadLetterCatalog, EnvelopeStore, LoadFailure, ReplayedEntry, ReplaySource } from "./ports";
import { selectDeadLetters } from "./selectDeadLetters";
import type { DeadLetterFilter, DeadLetterView, ReplayCandidate, ReplayRecord } from "./types";

/**
 * Dead letters from the index, their bytes from the S3 archive. The index status is the checkpoint:
 * a letter turns `redriven` right after its replay is acknowledged, and only `new` ones are replayed,
 * so running the same redrive again after a crash replays only what had not gone yet.
 */
export class IndexReplaySource implements ReplaySource {
  readonly kind = REPLAY_SOURCES.index;

  constructor(
    private readonly catalog: DeadLetterCatalog,
    private readonly envelopes: EnvelopeStore,
    private readonly filter: DeadLetterFilter,
  ) {}

  async count(): Promise<number | undefined> {
    return this.filter.ids.length > 0 ? new Set(this.filter.ids).size : this.catalog.count(this.filter);
  }

  async *candidates(): AsyncGenerator<ReplayCandidate> {
    for await (const letter of selectDeadLetters(this.catalog, this.filter, LISTING_ORDERS.oldestFirst)) {
      yield candidateOf(letter);
    }
  }

  async load(candidates: readonly ReplayCandidate[]): Promise<Map<string, ReplayRecord | LoadFailure>> {
    const loaded = new Map<string, ReplayRecord | LoadFailure>();
    await Promise.all(
      candidates.map(async (candidate) => {
        const location = candidate.archive;
        if (location === undefined) {
          loaded.set(candidate.id, { failure: "the index item names no archive object" });
          return;
        }
        let envelope: Awaited<ReturnType<EnvelopeStore["get"]>>;
        try {
          envelope = await this.envelopes.get(location);
        } catch (error) {
          // One object nobody can read fails its letters, not the run (and not every resume).
          if (!(error instanceof ArchiveUnreadableError)) throw error;
          loaded.set(candidate.id, { failure: error.message });
          return;
        }
        loaded.set(
          candidate.id,
          envelope === undefined
            ? { failure: `not found in s3://${location.bucket}/${location.key} (expired or deleted?)` }
            : envelope.record,
        );
      }),
    );
    return loaded;
  }

  async markReplayed(entries: readonly ReplayedEntry[]): Promise<ReadonlySet<string>> {
    const results = await Promise.all(
      entries.map((e) =>
        this.catalog.markRedriven(e.candidate.id, { ...e.mark, redriveCount: e.redriveCount }),
      ),
    );
    return new Set(entries.filter((_, i) => !results[i]).map((e) => e.candidate.id));
  }
}

function candidateOf(letter: DeadLetterView): ReplayCandidate {
  return {
    id: letter.id,
    topic: letter.topic,
    partition: letter.partition,
    offset: letter.offset,
    failedAt: letter.failedAt,
    stage: letter.stage,
    errorClass: letter.errorClass,
    status: letter.status,
    redriveCount: letter.redriveCount,
    archive: {
      bucket: letter.archiveBucket,
      key: letter.archiveKey,
      line: letter.archiveLine,
      id: letter.id,
    },
  };
}
