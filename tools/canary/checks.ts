/**
 * The canary's verdict: one check per path of the deployed pipeline, each a pure function of what the
 * run observed, with a failure message that says what most likely went wrong and what to try.
 */

import { CANARY_KINDS, type CanaryKind } from "../../functions/lib/canary/canaryRecord";
import { FAILURE_KEY_NAMES } from "../../functions/lib/config";
import { DEAD_LETTER_HEADERS } from "../../functions/lib/core/headers";
import type { CanaryObservation, CheckContext, CheckResult, TopicCopy } from "./observation";

/**
 * @example
 * for (const check of evaluateCanary(observation, { failureKeyName: "partition", functionName })) {
 *   io.out(`${check.pass ? "PASS" : "FAIL"} ${check.name}: ${check.detail}`);
 * }
 */
export function evaluateCanary(observation: CanaryObservation, context: CheckContext): CheckResult[] {
  return [
    goodExactlyOnce(observation, context),
    invalidInDlq(observation, context),
    invalidArchived(observation),
    invalidIndexed(observation),
    transientRedelivered(observation, context),
  ];
}

function goodExactlyOnce(o: CanaryObservation, context: CheckContext): CheckResult {
  const name = `good record reached ${o.topics.target} exactly once`;
  const copies = ofKind(o.target, CANARY_KINDS.good);
  const delivered = o.deliveries?.good ?? 0;
  if (copies.length === 1 && delivered === 1) return pass(name, at(copies[0]));
  if (delivered > 1) {
    const other = FAILURE_KEY_NAMES.find((key) => key !== context.failureKeyName) ?? "topic-partition";
    return fail(
      name,
      `the function was handed it ${delivered} times and wrote it ${copies.length} time(s): Lambda retried the ` +
        "whole batch instead of resuming at the transient-once record, so it did not read the item identifier " +
        `key "${context.failureKeyName}" of the partial batch response; set FAILURE_KEY_NAME to "${other}" ` +
        "(CDK: failureKeyName, config: processor.failureKeyName), deploy, and run the canary again",
    );
  }
  if (copies.length > 1) {
    return fail(
      name,
      `written ${copies.length} times from one delivery (${copies.map(at).join("; ")}): a write the broker ` +
        "acknowledged after the function had given up on it was made again (at least once), not a whole-batch retry",
    );
  }
  return fail(name, missing(o, CANARY_KINDS.good, o.topics.target, context));
}

function invalidInDlq(o: CanaryObservation, context: CheckContext): CheckResult {
  const name = `invalid record is in the DLQ topic ${o.topics.dlq}`;
  const copies = ofKind(o.dlq, CANARY_KINDS.invalid);
  const first = copies[0];
  if (first === undefined) return fail(name, missing(o, CANARY_KINDS.invalid, o.topics.dlq, context));
  const stage = first.headers[DEAD_LETTER_HEADERS.stage];
  if (stage !== "validate") {
    return fail(name, `dead-lettered with stage ${stage ?? "(none)"}, not validate: ${errorOf(first)}`);
  }
  const again =
    copies.length > 1 ? `; ${copies.length} copies (a redelivery wrote it again, at least once)` : "";
  return pass(
    name,
    `${at(first)}, stage validate (${first.headers[DEAD_LETTER_HEADERS.errorClass]})${again}`,
  );
}

function invalidArchived(o: CanaryObservation): CheckResult {
  const name = "invalid record's archive object holds its envelope";
  const copy = ofKind(o.dlq, CANARY_KINDS.invalid)[0];
  const { archive } = o;
  if (copy === undefined || archive === undefined) return fail(name, "no DLQ copy names an archive object");
  const where = `s3://${archive.bucket}/${archive.key}`;
  if (!archive.found) return fail(name, `${where} (x-dlq-archive-key) cannot be read: ${archive.reason}`);
  const id = copy.headers[DEAD_LETTER_HEADERS.recordId];
  const envelope = archive.envelopes.find((e) => e.id === id);
  if (envelope === undefined) return fail(name, `${where} holds no envelope with id ${id}`);
  const produced = o.produced[CANARY_KINDS.invalid].value.toString("base64");
  if (envelope.value !== produced) {
    return fail(name, `${where} holds envelope ${id}, but with other bytes than the record produced`);
  }
  return pass(name, `${where}, envelope ${id}`);
}

function invalidIndexed(o: CanaryObservation): CheckResult {
  const name = "invalid record is in the index, pointing at its DLQ copy and archive object";
  const copies = ofKind(o.dlq, CANARY_KINDS.invalid);
  const { index } = o;
  if (copies.length === 0 || index === undefined) return fail(name, "no DLQ copy names a dead-letter id");
  if (!index.found) return fail(name, `no index item DL#${index.id}: ${index.reason}`);
  const { item } = index;
  if (item.dlqOffset === undefined) {
    return fail(name, `DL#${index.id} says the DLQ copy is absent (${item.dlqAbsentReason ?? "no reason"})`);
  }
  const pointed = copies.find(
    (c) => c.topic === item.dlqTopic && c.partition === item.dlqPartition && c.offset === item.dlqOffset,
  );
  if (pointed === undefined) {
    return fail(
      name,
      `DL#${index.id} points at ${item.dlqTopic} partition ${item.dlqPartition} offset ${item.dlqOffset}, ` +
        `where no copy of the record is (${copies.map(at).join("; ")})`,
    );
  }
  if (item.archiveKey !== pointed.headers[DEAD_LETTER_HEADERS.archiveKey]) {
    return fail(name, `DL#${index.id} names archive object ${item.archiveKey}, the DLQ copy another`);
  }
  return pass(name, `DL#${index.id} -> ${at(pointed)}, stage ${item.stage}`);
}

function transientRedelivered(o: CanaryObservation, context: CheckContext): CheckResult {
  const name = `transient-once record was redelivered by the mapping and reached ${o.topics.target}`;
  const copies = ofKind(o.target, CANARY_KINDS.transientOnce);
  const delivered = o.deliveries?.[CANARY_KINDS.transientOnce] ?? 0;
  const first = copies[0];
  if (delivered >= 2 && first !== undefined) {
    return pass(name, `handed to the function ${delivered} times, the first failed on purpose; ${at(first)}`);
  }
  if (delivered === 1) {
    return fail(
      name,
      `its first delivery failed on purpose (reported for retry in the partial batch response) and the ` +
        `mapping did not deliver it again within ${seconds(o.waitedMs)} s`,
    );
  }
  return fail(name, missing(o, CANARY_KINDS.transientOnce, o.topics.target, context));
}

/** Why a record is not where it should be: dead-lettered elsewhere, or never handed to the function. */
function missing(o: CanaryObservation, kind: CanaryKind, where: string, context: CheckContext): string {
  const deadLetter = kind === CANARY_KINDS.invalid ? undefined : ofKind(o.dlq, kind)[0];
  if (deadLetter !== undefined) {
    return (
      `dead-lettered to ${o.topics.dlq} instead (stage ${deadLetter.headers[DEAD_LETTER_HEADERS.stage]}: ` +
      `${errorOf(deadLetter)})`
    );
  }
  if (o.deliveries === undefined) {
    return (
      `not in ${where} after ${seconds(o.waitedMs)} s, and the function was handed none of the run's records: ` +
      "is the canary's event source mapping enabled and polling? " +
      `(aws lambda list-event-source-mappings --function-name ${context.functionName}: State, LastProcessingResult; ` +
      "the mapping errors alarm; the function's logs)"
    );
  }
  return `not in ${where} after ${seconds(o.waitedMs)} s (the function's logs say why)`;
}

function ofKind(copies: readonly TopicCopy[], kind: CanaryKind): TopicCopy[] {
  return copies.filter((c) => c.kind === kind);
}

function at(copy: TopicCopy | undefined): string {
  return copy === undefined ? "-" : `partition ${copy.partition}, offset ${copy.offset}`;
}

function errorOf(copy: TopicCopy): string {
  const h = copy.headers;
  return `${h[DEAD_LETTER_HEADERS.errorClass] ?? "?"}: ${h[DEAD_LETTER_HEADERS.errorMessage] ?? ""}`.trim();
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(0);
}

function pass(name: string, detail: string): CheckResult {
  return { pass: true, name, detail };
}

function fail(name: string, detail: string): CheckResult {
  return { pass: false, name, detail };
}
