import { parseRecordId } from "../core/recordIdentity";

/**
 * How an id an operator gives names a dead letter. Ids carry a tag of the record's cluster and
 * timestamp (`orders:0:42@5d41402abc`); letters recorded before that kept the bare coordinates
 * (`orders:0:42`), and operators read bare coordinates off lineage headers and DLQ messages. So a
 * bare id names the letter at those coordinates whatever its tag, a tagged id names exactly one.
 */
export function sameRecord(given: string, id: string): boolean {
  if (given === id) return true;
  const wanted = parseRecordId(given);
  if (wanted === undefined || wanted.tag !== undefined) return false;
  const actual = parseRecordId(id);
  return (
    actual !== undefined &&
    actual.topic === wanted.topic &&
    actual.partition === wanted.partition &&
    actual.offset === wanted.offset
  );
}

/** The two forms, as error messages spell them. */
export const ID_FORMS =
  "ids look like <topic>:<partition>:<offset>@<tag> (as dlq list shows them), or " +
  "<topic>:<partition>:<offset> to name one by its coordinates";

/** Whether an id is a dead-letter id at all: tagged, or of the older untagged form. */
export function isDeadLetterId(id: string): boolean {
  const parsed = parseRecordId(id);
  return parsed !== undefined && parsed.topic.length <= 249;
}
