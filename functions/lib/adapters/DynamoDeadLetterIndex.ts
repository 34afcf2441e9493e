import type { AttributeValue, DynamoDBClient, Update } from "@aws-sdk/client-dynamodb";
import type {
  DeadLetterIndex,
  DeadLetterIndexEntry,
  DeadLetterIndexLetter,
  DeadLetterIndexLookup,
  IndexedBefore,
} from "../core/ports";
import { DEAD_LETTER_TABLE } from "../tables";
import {
  DEAD_LETTER_STATUSES,
  deadLetterItem,
  deadLetterKey,
  type IndexedDeadLetter,
} from "./deadLetterItem";
import { batchGetAll, batchWriteAll, transactUpdateAll } from "./dynamoBatch";
import {
  confirms,
  dlqAbsenceOf,
  type IndexedSet,
  indexedSetItem,
  indexedSetsOf,
  NO_DLQ_COPY_ABSENT,
  type SetMember,
  vouchesForItems,
} from "./indexedSets";

export {
  DEAD_LETTER_STATUSES,
  type DeadLetterStatus,
  deadLetterItem,
  deadLetterKey,
  type IndexedDeadLetter,
  parseDeadLetterItem,
} from "./deadLetterItem";

export interface DynamoDeadLetterIndexOptions {
  readonly client: DynamoDBClient;
  readonly table: string;
  /** Recorded on each item so tools can fetch the envelope without other configuration. */
  readonly archiveBucket: string;
  /** Days until DynamoDB's TTL removes an item; 0 keeps items forever. @default 90 */
  readonly retentionDays?: number;
  /** The clock that decides whether a marker's items may have expired. @default Date.now */
  readonly now?: () => number;
}

/** A dead letter on its way into the index, with the id it had before ids carried a tag. */
type LetterToIndex = IndexedDeadLetter & { readonly legacyId: string };

/** Attributes an operator's tools change after the fact; a repeated dead letter must not reset them. */
const KEPT_ON_REWRITE: ReadonlySet<string> = new Set([
  "status",
  "redriveCount",
  DEAD_LETTER_TABLE.byStatusIndex.partitionKey,
  DEAD_LETTER_TABLE.byStatusIndex.sortKey,
]);

/**
 * Dead-letter index in DynamoDB: one item per dead letter, keyed by its id, with indexes by source
 * topic and by status (both newest first), so listing never scans.
 *
 * The id is the record's tagged id (coordinates, cluster and timestamp: `recordIdentity.ts`), so a
 * record that merely re-uses an older one's coordinates (a re-created topic, another cluster) is a
 * new item with status new, while a redelivery of the same record finds its own item.
 *
 * Lambda can redeliver a record that was already dead-lettered (and perhaps redriven since); a
 * plain put would reset its status to new and let it be replayed twice. So one batch read (of the
 * keys, record timestamps and archive pointers only) finds which dead letters are already indexed,
 * and new ones are written in batches of 25. A known item that still points at this record's line
 * in the archive object just rewritten (a redelivery of the same batch writes the same object under
 * the same key) is already right and is left alone: its DLQ copy and failure time stay those of the
 * first delivery, both still there. A known item whose pointers moved (the redelivered batch was cut
 * differently, or the DLQ topic now took a copy it refused before) is updated, in transactions of
 * 100, each action with `if_not_exists` on the status, its index keys and the redrive count, so an
 * operator's redrive or discard survives even one that lands between the read and the write.
 *
 * Once every item of an archive object's dead letters is durable, a marker item (`indexedSets.ts`)
 * names that set (a digest of the archive key and each letter's id and line) and which of its
 * letters have no DLQ copy. A redelivery of the same batch archives the same records under the
 * same key at the same lines, so it names the same set: one read of the marker confirms every item,
 * and nothing else is read or written, which leaves an operator's status alone. A batch cut
 * differently names another set and takes the full path above. A marker is trusted only while
 * none of its items can have expired (TTL), and a marker that could not be written only costs the
 * next redelivery its reads. The read of markers and items can run ahead ({@link lookup}), while
 * the DLQ copies are sent.
 *
 * Per dead letter that is 1/50 of a batch read (two keys each) and 1/25 of a batch write on first
 * delivery, plus one read and one write per archive object for the marker; one batch read per
 * archive object and nothing else on a redelivery of the same batch; at most 1/100 of a
 * transaction more when pointers moved. None is one request per dead letter (before: a
 * redelivered storm of 3,000 took 3,000 `UpdateItem` calls and about 6 s on DynamoDB Local).
 *
 * A set confirmed by its marker keeps its items as they are, even if a later delivery cut
 * differently moved them to its own archive object: that object holds the same records too.
 *
 * Items written before ids carried a tag are keyed by the bare coordinates. The same batch read
 * looks for those too: one with the same coordinates and the same record timestamp is this record,
 * indexed before the upgrade, and is updated under its old id (keeping its status) instead of
 * gaining a second, new item. Once the index retention has passed since the upgrade, no such item
 * is left and the extra keys find nothing.
 */
export class DynamoDeadLetterIndex implements DeadLetterIndex {
  constructor(private readonly options: DynamoDeadLetterIndexOptions) {}

  /**
   * Reads what {@link record} will need to know about these dead letters, before their DLQ copies
   * are written: the markers of their sets and, for sets no marker vouches for, their items. Called
   * while the DLQ copies are sent, so the read costs no time of its own; `record` given the result
   * reads only what it lacks.
   */
  async lookup(
    letters: readonly DeadLetterIndexLetter[],
    lookup?: DeadLetterIndexLookup,
  ): Promise<DeadLetterIndexLookup> {
    const known = lookup instanceof KnownItems ? lookup : new KnownItems();
    const sets = indexedSetsOf(letters.map(letterInSet));
    await this.readMarkers(known, sets);
    const now = this.now();
    const unvouched = sets.filter((set) => !vouchesForItems(known.marker(set), now));
    await this.readItems(
      known,
      unvouched.flatMap((set) => set.members),
    );
    return known;
  }

  /**
   * Whether the markers of these letters' sets vouch for them with every DLQ copy present: the
   * dead letters of a redelivery of the same batch, stored in every sink by an earlier delivery.
   * One batch read of the markers (one key per archive object), which {@link lookup} then skips. A
   * set whose marker records absent DLQ copies is not vouched for here, so a redelivery still
   * offers those copies to the topic again (it may take them now).
   */
  async indexedBefore(letters: readonly DeadLetterIndexLetter[]): Promise<IndexedBefore> {
    const known = new KnownItems();
    const sets = indexedSetsOf(letters.map(letterInSet));
    await this.readMarkers(known, sets);
    const now = this.now();
    return { indexed: sets.every((set) => confirms(known.marker(set), NO_DLQ_COPY_ABSENT, now)), known };
  }

  async record(entries: readonly DeadLetterIndexEntry[], lookup?: DeadLetterIndexLookup): Promise<void> {
    const { client, table } = this.options;
    const known = lookup instanceof KnownItems ? lookup : new KnownItems();
    const sets = indexedSetsOf(entries.map(memberOf));
    await this.readMarkers(known, sets);
    // A set whose marker matches this delivery (a redelivery of the same batch) is indexed already:
    // nothing to read or write for it, nor any item to build.
    const now = this.now();
    const pendingSets = sets.filter((set) => !confirms(known.marker(set), dlqAbsenceOf(set.members), now));
    if (pendingSets.length === 0) return;
    const pending = pendingSets.flatMap((set) => set.members.map((member) => this.toLetter(member.entry)));
    await this.readItems(known, pending);
    // Keyed by item, so a record that appears twice (a redelivered batch of a compacted topic) is
    // one write: DynamoDB refuses a batch or a transaction that names an item twice.
    const puts = new Map<string, Record<string, AttributeValue>>();
    const updates = new Map<string, Record<string, AttributeValue>>();
    /** When each letter's item expires once this call is done (undefined: never). */
    const expiries = new Map<string, number | undefined>();
    for (const letter of pending) {
      const own = known.item(letter.id);
      const legacy = known.item(letter.legacyId);
      if (own !== undefined) {
        if (!pointsAt(own, letter)) updates.set(letter.id, this.itemOf(letter));
        else expiries.set(letter.id, expiryOfItem(own));
      } else if (legacy !== undefined && letter.legacyId !== letter.id && sameTimestamp(legacy, letter))
        updates.set(letter.legacyId, this.itemOf({ ...letter, id: letter.legacyId }));
      else puts.set(letter.id, this.itemOf(letter));
      if (!expiries.has(letter.id)) expiries.set(letter.id, this.expiryOf(letter));
    }
    await Promise.all([
      batchWriteAll(
        client,
        table,
        [...puts.values()].map((Item) => ({ PutRequest: { Item } })),
      ),
      transactUpdateAll(client, table, [...updates.values()].map(keepingOperatorChanges)),
    ]);
    await this.markIndexed(pendingSets, expiries);
  }

  /** Reads the markers of `sets` that `known` has not read yet, in one batch read per hundred. */
  private async readMarkers(known: KnownItems, sets: readonly IndexedSet<SetMember>[]): Promise<void> {
    const keys = sets.map((set) => set.key).filter((key) => !known.hasRead(key));
    if (keys.length === 0) return;
    const found = await batchGetAll(this.options.client, this.options.table, keys, MARKER_PROJECTION);
    known.add(keys, found);
  }

  /** Reads the items (own and pre-tag keys) of `letters` that `known` has not read yet. */
  private async readItems(
    known: KnownItems,
    letters: readonly { readonly id: string; readonly legacyId: string }[],
  ): Promise<void> {
    const keys = new Map<string, Record<string, AttributeValue>>();
    for (const letter of letters) {
      for (const id of [letter.id, letter.legacyId]) {
        const key = deadLetterKey(id);
        if (!known.hasRead(key)) keys.set(id, key);
      }
    }
    if (keys.size === 0) return;
    const found = await batchGetAll(
      this.options.client,
      this.options.table,
      [...keys.values()],
      KNOWN_ITEM_PROJECTION,
    );
    known.add([...keys.values()], found);
  }

  /**
   * Writes the marker of each set, now that all its items are durable. A marker only saves a
   * redelivery its reads: if writing one fails, the dead letters are indexed all the same and a
   * redelivery takes the full path, so the failure is not the dead letters' (they are not retried).
   */
  private async markIndexed(
    sets: readonly IndexedSet<EntryInSet>[],
    expiries: ReadonlyMap<string, number | undefined>,
  ): Promise<void> {
    const markers = sets.map((set) => {
      let until: number | undefined;
      for (const member of set.members) {
        const expiry = expiries.get(member.id);
        if (expiry !== undefined && (until === undefined || expiry < until)) until = expiry;
      }
      return indexedSetItem(set, dlqAbsenceOf(set.members), until);
    });
    try {
      await batchWriteAll(
        this.options.client,
        this.options.table,
        markers.map((Item) => ({ PutRequest: { Item } })),
      );
    } catch {
      // See above: a missing marker costs a later redelivery a read, never a dead letter.
    }
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private expiryOf(letter: IndexedDeadLetter): number | undefined {
    const retentionDays = this.options.retentionDays ?? 90;
    return retentionDays === 0
      ? undefined
      : Math.floor(Date.parse(letter.failedAt) / 1000) + retentionDays * 86_400;
  }

  private itemOf(letter: IndexedDeadLetter): Record<string, AttributeValue> {
    return deadLetterItem(letter, this.expiryOf(letter));
  }

  private toLetter(entry: DeadLetterIndexEntry): LetterToIndex {
    const { envelope } = entry;
    const { source } = envelope;
    return {
      id: envelope.id,
      legacyId: `${source.topic}:${source.partition}:${source.offset}`,
      topic: envelope.source.topic,
      partition: envelope.source.partition,
      offset: envelope.source.offset,
      timestamp: envelope.source.timestamp,
      stage: envelope.error.stage,
      errorClass: envelope.error.class,
      errorMessage: envelope.error.message,
      failedAt: envelope.failedAt,
      day: envelope.failedAt.slice(0, 10),
      attempts: envelope.attempts,
      archiveBucket: this.options.archiveBucket,
      archiveKey: envelope.archiveKey,
      archiveLine: entry.archiveLine,
      dlqTopic: envelope.dlqTopic,
      dlqPartition: entry.dlq !== undefined && entry.dlq.offset >= 0 ? entry.dlq.partition : undefined,
      dlqOffset: entry.dlq !== undefined && entry.dlq.offset >= 0 ? entry.dlq.offset : undefined,
      status: DEAD_LETTER_STATUSES.new,
      redriveCount: entry.redriveCount,
      functionName: envelope.invocation.functionName,
      requestId: envelope.invocation.requestId,
      // Read defensively: envelopes written before they named the cluster have no such field.
      cluster: "cluster" in source && typeof source.cluster === "string" ? source.cluster : undefined,
      dlqAbsentReason: entry.dlqAbsentReason,
      ...valueSchemaOf(envelope),
    };
  }
}

/**
 * What the read of known items needs: the key (to match), the record timestamp (legacy ids) and the
 * pointers to the archive line and the DLQ copy (whether a known item is still right).
 */
const KNOWN_ITEM_PROJECTION = {
  expression: `${DEAD_LETTER_TABLE.partitionKey}, #timestamp, archiveKey, archiveLine, dlqOffset, ${DEAD_LETTER_TABLE.ttlAttribute}`,
  // `timestamp` is a DynamoDB reserved word.
  names: { "#timestamp": "timestamp" },
} as const;

/** What a set's marker must say: its key (to match), how long it vouches, and the DLQ copies. */
const MARKER_PROJECTION = `${DEAD_LETTER_TABLE.partitionKey}, coversUntil, dlqAbsence`;

/**
 * What the index was found to hold, by partition key: markers and items read, and the keys read
 * and found absent. The result of {@link DynamoDeadLetterIndex.lookup}, opaque to the core.
 */
class KnownItems implements DeadLetterIndexLookup {
  private readonly read = new Map<string, Record<string, AttributeValue> | undefined>();

  hasRead(key: Record<string, AttributeValue>): boolean {
    return this.read.has(key[DEAD_LETTER_TABLE.partitionKey]?.S ?? "");
  }

  add(
    keys: readonly Record<string, AttributeValue>[],
    found: readonly Record<string, AttributeValue>[],
  ): void {
    for (const key of keys) this.read.set(key[DEAD_LETTER_TABLE.partitionKey]?.S ?? "", undefined);
    for (const item of found) this.read.set(item[DEAD_LETTER_TABLE.partitionKey]?.S ?? "", item);
  }

  marker(set: IndexedSet<SetMember>): Record<string, AttributeValue> | undefined {
    return this.read.get(set.key[DEAD_LETTER_TABLE.partitionKey]?.S ?? "");
  }

  item(id: string): Record<string, AttributeValue> | undefined {
    return this.read.get(deadLetterKey(id)[DEAD_LETTER_TABLE.partitionKey]?.S ?? "");
  }
}

/** An entry as a member of its archive object's set. */
interface EntryInSet extends SetMember {
  readonly hasDlqCopy: boolean;
  readonly entry: DeadLetterIndexEntry;
}

/** A letter about to be indexed, as a member of its set, with the item key it had before ids carried a tag. */
function letterInSet({ envelope, archiveLine }: DeadLetterIndexLetter) {
  return {
    id: envelope.id,
    legacyId: `${envelope.source.topic}:${envelope.source.partition}:${envelope.source.offset}`,
    archiveKey: envelope.archiveKey,
    archiveLine,
  };
}

function memberOf(entry: DeadLetterIndexEntry): EntryInSet {
  return {
    id: entry.envelope.id,
    archiveKey: entry.envelope.archiveKey,
    archiveLine: entry.archiveLine,
    // As `toLetter` records it: a receipt without an offset is no copy.
    hasDlqCopy: entry.dlq !== undefined && entry.dlq.offset >= 0,
    entry,
  };
}

/** When a known item expires (its TTL attribute, in epoch seconds); undefined if it never does. */
function expiryOfItem(item: Record<string, AttributeValue>): number | undefined {
  const expiresAt = item[DEAD_LETTER_TABLE.ttlAttribute]?.N;
  return expiresAt === undefined ? undefined : Number(expiresAt);
}

/**
 * Whether a known item already points at where this delivery stored the record: the same line of the
 * same archive object, and a DLQ copy if this delivery has one (an older copy is as good as a new one).
 */
function pointsAt(item: Record<string, AttributeValue>, letter: IndexedDeadLetter): boolean {
  return (
    item.archiveKey?.S === letter.archiveKey &&
    item.archiveLine?.N === String(letter.archiveLine) &&
    (item.dlqOffset?.N !== undefined) === (letter.dlqOffset !== undefined)
  );
}

/**
 * The update of a known item to `item`: every attribute set, except the ones operators change after
 * the fact, which are set only where the item has none yet.
 */
function keepingOperatorChanges(item: Record<string, AttributeValue>): Omit<Update, "TableName"> {
  const key = deadLetterKey(item.id?.S ?? "");
  const names: Record<string, string> = {};
  const values: Record<string, AttributeValue> = {};
  const assignments = Object.entries(item)
    .filter(([name]) => !(name in key))
    .map(([name, value], i) => {
      names[`#a${i}`] = name;
      values[`:v${i}`] = value;
      return KEPT_ON_REWRITE.has(name) ? `#a${i} = if_not_exists(#a${i}, :v${i})` : `#a${i} = :v${i}`;
    });
  return {
    Key: key,
    UpdateExpression: `SET ${assignments.join(", ")}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

function valueSchemaOf(
  envelope: DeadLetterIndexEntry["envelope"],
): Pick<IndexedDeadLetter, "valueSchemaId" | "valueDataFormat"> {
  const failed = envelope.error.schema;
  if (failed !== undefined) return { valueSchemaId: failed.schemaId, valueDataFormat: failed.format };
  const mapping = envelope.record.valueSchemaMetadata;
  return mapping === undefined
    ? {}
    : { valueSchemaId: mapping.schemaId, valueDataFormat: mapping.dataFormat };
}

function sameTimestamp(item: Record<string, AttributeValue>, letter: IndexedDeadLetter): boolean {
  return item.timestamp?.N !== undefined && Number(item.timestamp.N) === letter.timestamp;
}
