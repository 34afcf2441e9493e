/**
 * What a run leaves behind and the tool removes: the index items, the indexed-set marker and the
 * archive objects of its dead letters, its `CANARY#` delivery counts, and the attempt count the processor keeps for the
 * transient-once record. The Kafka records stay: topics are not the tool's to trim, and retention
 * removes them.
 */
import { indexedSetsOf } from "../../functions/lib/adapters/indexedSets";
import { CANARY_KINDS, canaryMarkerKey } from "../../functions/lib/canary/canaryRecord";
import { DEAD_LETTER_HEADERS } from "../../functions/lib/core/headers";
import { parseRecordId } from "../../functions/lib/core/recordIdentity";
import type { CanaryObservation } from "./observation";
import {
  type CanaryStores,
  deleteArchiveObject,
  deleteAttemptsItem,
  deleteIndexItem,
  deleteIndexItemByKey,
  readArchiveObject,
} from "./sinkReaders";

export interface CleanupPlan {
  /** Dead-letter ids of the run's DLQ copies (one index item each). */
  readonly indexIds: readonly string[];
  /** Archive objects the run's dead letters name; removed only if they hold canary letters only. */
  readonly archiveKeys: readonly string[];
  /** Attempts-table keys: the run's `CANARY#` item, and `ATTEMPT#<id>` of transient-once. */
  readonly attemptsKeys: readonly string[];
}

/**
 * The run's three records share one timestamp, so their ids share one tag: transient-once's id (the
 * key of its attempt count, `ATTEMPT#<id>` in DynamoAttemptLedger) follows from any dead letter's id.
 * Without a dead letter its count is left to the table's TTL.
 */
export function planCleanup(o: CanaryObservation): CleanupPlan {
  const ids = unique(o.dlq.map((c) => c.headers[DEAD_LETTER_HEADERS.recordId]));
  const archiveKeys = unique(o.dlq.map((c) => c.headers[DEAD_LETTER_HEADERS.archiveKey]));
  const tag = ids.map(parseRecordId).find((parsed) => parsed?.tag !== undefined)?.tag;
  const transient = o.produced[CANARY_KINDS.transientOnce];
  // `<topic>:<partition>:<offset>@<tag>`, the format of recordIdentity.ts's recordId.
  const attempt =
    tag === undefined ? [] : [`ATTEMPT#${o.topics.source}:${transient.partition}:${transient.offset}@${tag}`];
  return { indexIds: ids, archiveKeys, attemptsKeys: [canaryMarkerKey(o.runId), ...attempt] };
}

export interface CleanupReport {
  readonly removed: readonly string[];
  readonly kept: readonly string[];
  readonly failed: readonly string[];
}

/** Carries out the plan; a failure to remove one thing is reported, never stops the others. */
export async function cleanUp(
  plan: CleanupPlan,
  stores: CanaryStores,
  archive: { readonly bucket: string; readonly canaryTopic: string },
): Promise<CleanupReport> {
  const removed: string[] = [];
  const kept: string[] = [];
  const failed: string[] = [];
  const attempt = async (what: string, action: () => Promise<void>) => {
    try {
      await action();
      removed.push(what);
    } catch (error) {
      failed.push(`${what}: ${(error as Error).name}: ${(error as Error).message}`);
    }
  };
  for (const id of plan.indexIds) await attempt(`index item DL#${id}`, () => deleteIndexItem(stores, id));
  for (const key of plan.archiveKeys) {
    const where = `s3://${archive.bucket}/${key}`;
    const view = await readArchiveObject(stores, archive.bucket, key);
    if (!view.found) {
      failed.push(`${where}: ${view.reason}`);
    } else if (view.envelopes.some((e) => e.sourceTopic !== archive.canaryTopic)) {
      kept.push(`${where} (it also holds dead letters of other topics)`);
    } else {
      // The marker that vouches for the object's letters being indexed goes with their items:
      // left behind, it would vouch for deleted items if Lambda ever redelivered the batch.
      const members = view.envelopes.map((e, line) => ({ id: e.id, archiveKey: key, archiveLine: line }));
      for (const set of indexedSetsOf(members))
        await attempt(`index marker of ${where}`, () => deleteIndexItemByKey(stores, set.key));
      await attempt(`archive object ${where}`, () => deleteArchiveObject(stores, archive.bucket, key));
    }
  }
  for (const key of plan.attemptsKeys)
    await attempt(`attempts item ${key}`, () => deleteAttemptsItem(stores, key));
  return { removed, kept, failed };
}

function unique(values: readonly (string | undefined)[]): string[] {
  return [...new Set(values.filter((v): v is string => v !== undefined && v !== ""))];
}
