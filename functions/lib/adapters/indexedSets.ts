import { createHash } from "node:crypto";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { DEAD_LETTER_TABLE } from "../tables";

type Item = Record<string, AttributeValue>;

/** What an indexed set is made of: one dead letter at its line of the archive object. */
export interface SetMember {
  readonly id: string;
  readonly archiveKey: string;
  readonly archiveLine: number;
}

/** The dead letters of one archive object written to the index together, and the item saying so. */
export interface IndexedSet<Member extends SetMember> {
  readonly archiveKey: string;
  readonly members: readonly Member[];
  /** The marker item's key: a digest of the archive key and each member's id and line. */
  readonly key: Item;
}

/**
 * Groups dead letters by archive object: each group is one "indexed set", named by a digest of its
 * archive key and every member's id and line, so a redelivery of the same batch (the same records,
 * archived again under the same key, at the same lines) names the same set, and a batch cut
 * differently (other records, other lines, another object) names another.
 */
export function indexedSetsOf<Member extends SetMember>(members: readonly Member[]): IndexedSet<Member>[] {
  const byObject = new Map<string, Member[]>();
  for (const member of members) {
    const list = byObject.get(member.archiveKey) ?? [];
    byObject.set(member.archiveKey, list);
    list.push(member);
  }
  return [...byObject].map(([archiveKey, list]) => {
    const hash = createHash("sha256").update(`v1\n${archiveKey}\n`);
    for (const member of [...list].sort((a, b) => a.archiveLine - b.archiveLine)) {
      hash.update(`${member.id}\t${member.archiveLine}\n`);
    }
    return { archiveKey, members: list, key: indexedSetKey(hash.digest("base64url")) };
  });
}

/**
 * The marker's key: `DLSET#<digest>` never meets a dead letter's `DL#<id>`, and the marker carries
 * neither index's keys, so listing, stats and `show` never see it.
 */
function indexedSetKey(digest: string): Item {
  return {
    [DEAD_LETTER_TABLE.partitionKey]: { S: `DLSET#${digest}` },
    [DEAD_LETTER_TABLE.sortKey]: { S: "DL" },
  };
}

/**
 * Which members have no DLQ copy, as one digest: a set whose marker was written while the DLQ topic
 * refused some copies is not confirmed by a delivery in which the topic took them (their items must
 * gain the copy's offset), nor the other way round.
 */
export function dlqAbsenceOf(members: readonly (SetMember & { readonly hasDlqCopy: boolean })[]): string {
  const absent = members
    .filter((m) => !m.hasDlqCopy)
    .map((m) => m.archiveLine)
    .sort((a, b) => a - b);
  return absent.length === 0
    ? NO_DLQ_COPY_ABSENT
    : createHash("sha256").update(absent.join(",")).digest("base64url");
}

/** {@link dlqAbsenceOf} a set whose every member has its DLQ copy. */
export const NO_DLQ_COPY_ABSENT = "-";

/**
 * The marker of a set whose every member now has its item: written only after all those items are
 * durable. `coversUntil` is the earliest TTL among them (absent if none expires): once DynamoDB's
 * TTL may have removed one, the marker no longer speaks for the set (and its own TTL removes it).
 */
export function indexedSetItem(
  set: IndexedSet<SetMember>,
  dlqAbsence: string,
  coversUntil: number | undefined,
): Item {
  const item: Item = {
    ...set.key,
    kind: { S: "indexed-set" },
    archiveKey: { S: set.archiveKey },
    letters: { N: String(set.members.length) },
    dlqAbsence: { S: dlqAbsence },
  };
  if (coversUntil !== undefined) {
    item.coversUntil = { N: String(coversUntil) };
    item[DEAD_LETTER_TABLE.ttlAttribute] = { N: String(coversUntil) };
  }
  return item;
}

/**
 * Slack between this function's clock and the one that decides TTL deletions: a marker within an
 * hour of its set's first expiry is not trusted, so the set takes the full path (reads its items).
 */
const EXPIRY_MARGIN_MS = 3_600_000;

/** Whether a marker read back still vouches for its set's items, DLQ copies aside. */
export function vouchesForItems(marker: Item | undefined, nowMs: number): boolean {
  if (marker === undefined) return false;
  const until = marker.coversUntil?.N;
  return until === undefined || Number(until) * 1000 > nowMs + EXPIRY_MARGIN_MS;
}

/** Whether a marker vouches for the set as this delivery stored it, DLQ copies included. */
export function confirms(marker: Item | undefined, dlqAbsence: string, nowMs: number): boolean {
  return vouchesForItems(marker, nowMs) && marker?.dlqAbsence?.S === dlqAbsence;
}
