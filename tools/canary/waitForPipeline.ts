/**
 * Waits, bounded, for the pipeline to handle the run's records, with a progress line, then gathers
 * everything the checks look at. It stops early once every record is where it should be and a short
 * settling time has passed (a whole-batch retry's duplicate arrives right after the first copy).
 */
import { CANARY_KINDS, type CanaryKind, type CanaryTopics } from "../../functions/lib/canary/canaryRecord";
import { DEAD_LETTER_HEADERS } from "../../functions/lib/core/headers";
import type { CliIo } from "../dlq/io";
import type { CanaryObservation, IndexView, ProducedCanary, TopicCopy } from "./observation";
import { type CanaryStores, readArchiveObject, readDeliveries, readIndexItem } from "./sinkReaders";
import type { TopicWatcher } from "./TopicWatcher";

export interface WaitOptions {
  readonly runId: string;
  readonly topics: CanaryTopics;
  readonly produced: Readonly<Record<CanaryKind, ProducedCanary>>;
  readonly watcher: TopicWatcher;
  readonly stores: CanaryStores;
  readonly archiveBucket: string;
  readonly waitMs: number;
  /** How long to keep watching once everything arrived. */
  readonly settleMs: number;
  readonly pollMs: number;
  readonly io: CliIo;
}

export async function waitForPipeline(options: WaitOptions): Promise<CanaryObservation> {
  const { io, topics, watcher } = options;
  const started = io.now().getTime();
  let interrupted = false;
  const stopListening = io.onInterrupt(() => {
    interrupted = true;
  });
  const progress = new WaitProgress(io, options.waitMs);
  let index: IndexView | undefined;
  let settledSince: number | undefined;
  try {
    while (!interrupted) {
      const elapsed = io.now().getTime() - started;
      const target = watcher.copies(topics.target);
      const invalid = watcher.copies(topics.dlq).find((c) => c.kind === CANARY_KINDS.invalid);
      if (invalid !== undefined && !index?.found) index = await indexOf(options, invalid);
      const seen = {
        good: count(target, CANARY_KINDS.good),
        transient: count(target, CANARY_KINDS.transientOnce),
        invalid: invalid === undefined ? 0 : 1,
        indexed: index?.found === true,
      };
      progress.update(elapsed, seen);
      const complete = seen.good > 0 && seen.transient > 0 && seen.indexed;
      settledSince = complete ? (settledSince ?? elapsed) : undefined;
      if (
        elapsed >= options.waitMs ||
        (settledSince !== undefined && elapsed - settledSince >= options.settleMs)
      ) {
        break;
      }
      await sleep(options.pollMs);
    }
  } finally {
    stopListening();
    progress.finish();
  }

  const dlq = watcher.copies(topics.dlq);
  const invalid = dlq.find((c) => c.kind === CANARY_KINDS.invalid);
  const archiveKey = invalid?.headers[DEAD_LETTER_HEADERS.archiveKey];
  return {
    runId: options.runId,
    topics,
    produced: options.produced,
    target: watcher.copies(topics.target),
    dlq,
    deliveries: await readDeliveries(options.stores, options.runId),
    archive:
      archiveKey === undefined
        ? undefined
        : await readArchiveObject(options.stores, options.archiveBucket, archiveKey),
    index: invalid === undefined ? undefined : index?.found ? index : await indexOf(options, invalid),
    waitedMs: io.now().getTime() - started,
  };
}

async function indexOf(options: WaitOptions, copy: TopicCopy): Promise<IndexView | undefined> {
  const id = copy.headers[DEAD_LETTER_HEADERS.recordId];
  return id === undefined ? undefined : readIndexItem(options.stores, id);
}

function count(copies: readonly TopicCopy[], kind: CanaryKind): number {
  return copies.filter((c) => c.kind === kind).length;
}

interface Seen {
  readonly good: number;
  readonly transient: number;
  readonly invalid: number;
  readonly indexed: boolean;
}

/** One line redrawn in place on a terminal, a line every 5 s otherwise (CI logs, pipes). */
class WaitProgress {
  private lastLineAt = Number.NEGATIVE_INFINITY;
  private drawn = false;

  constructor(
    private readonly io: CliIo,
    private readonly waitMs: number,
  ) {}

  update(elapsedMs: number, seen: Seen): void {
    const text =
      `canary: waiting ${Math.floor(elapsedMs / 1000)}/${Math.round(this.waitMs / 1000)} s: ` +
      `good ${seen.good} and transient-once ${seen.transient} in the target, ` +
      `invalid ${seen.invalid} in the DLQ topic${seen.indexed ? " and indexed" : ""}`;
    if (this.io.tty) {
      this.io.redraw(text);
      this.drawn = true;
    } else if (elapsedMs - this.lastLineAt >= 5_000) {
      this.lastLineAt = elapsedMs;
      this.io.err(text);
    }
  }

  finish(): void {
    if (this.drawn) this.io.redraw("");
    this.drawn = false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
