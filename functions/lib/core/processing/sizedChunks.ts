import type { OutgoingMessage } from "../types";

/**
 * Per-record overhead of Kafka's record format (length, attributes, deltas, varints) plus the
 * batch header shared out, rounded up: an estimate that errs towards smaller requests.
 */
const RECORD_OVERHEAD_BYTES = 70;

/** Roughly what a message weighs on the wire, uncompressed. */
export function messageBytes(message: OutgoingMessage): number {
  let bytes = RECORD_OVERHEAD_BYTES + (message.key?.length ?? 0) + (message.value?.length ?? 0);
  for (const header of message.headers) bytes += header.name.length + header.value.length + 2;
  return bytes;
}

/**
 * Half-open index ranges `[start, end)` over `messages`, in order, each under `budgetBytes` (a
 * message heavier than the budget alone forms its own range: the broker decides whether it fits).
 */
export function sizedRanges(messages: readonly OutgoingMessage[], budgetBytes: number): [number, number][] {
  const ranges: [number, number][] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < messages.length; i += 1) {
    const size = messageBytes(messages[i] as OutgoingMessage);
    if (i > start && bytes + size > budgetBytes) {
      ranges.push([start, i]);
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (start < messages.length) ranges.push([start, messages.length]);
  return ranges;
}
