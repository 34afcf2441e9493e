import { describeCause, errorClassName, ProduceRejectedError, type RecordError } from "../errors";
import type { DeliveryReceipt, MessageSink } from "../ports";
import { RetryGiveUp, type RetryPolicy, retryWithBackoff } from "../retry";
import type { OutgoingMessage } from "../types";
import type { InvocationRun } from "./InvocationRun";
import { sizedRanges } from "./sizedChunks";

/** What became of one message of a send. */
export type SendStatus =
  | { readonly kind: "sent"; readonly receipt: DeliveryReceipt }
  /** The broker refused this message for good (too large, invalid): it alone, after splitting. */
  | { readonly kind: "rejected"; readonly error: RecordError; readonly attempts: number }
  /** Not written for a reason worth retrying; `ownFailure` as the attempt ledger reads it. */
  | {
      readonly kind: "failed";
      readonly reason: string;
      readonly errorClass: string;
      readonly ownFailure: boolean;
    }
  /** Never attempted: an earlier message of the send stopped it. */
  | { readonly kind: "unsent" };

/** One status object for every message not attempted, rather than one allocation per message. */
const UNSENT: SendStatus = Object.freeze({ kind: "unsent" });

export interface SendOptions {
  /** Ordered mode: stop at the first message that is not sent, so nothing overtakes it. */
  readonly stopAtFirstProblem: boolean;
}

/**
 * Sends messages to one topic in requests under a byte budget, in order, each retried with
 * deadline-aware backoff. A request the broker refuses for good is split in halves until the
 * refused message stands alone, so one oversized record costs log2(n) requests, not n.
 */
export class OrderedSender {
  constructor(
    private readonly sink: MessageSink,
    private readonly retryPolicy: RetryPolicy,
    private readonly maxRequestBytes: number,
  ) {}

  async send(
    topic: string,
    messages: readonly OutgoingMessage[],
    run: InvocationRun,
    options: SendOptions,
  ): Promise<SendStatus[]> {
    const statuses: SendStatus[] = new Array<SendStatus>(messages.length).fill(UNSENT);
    const pending = sizedRanges(messages, this.maxRequestBytes);
    while (pending.length > 0) {
      const [start, end] = pending.shift() as [number, number];
      try {
        const { value: receipts } = await retryWithBackoff(
          () => this.sink.send(topic, messages.slice(start, end)),
          this.retryPolicy,
          run.retryEnv,
        );
        for (let i = start; i < end; i += 1)
          statuses[i] = { kind: "sent", receipt: receipts[i - start] as DeliveryReceipt };
      } catch (giveUp) {
        const cause = giveUp instanceof RetryGiveUp ? giveUp.lastError : giveUp;
        if (cause instanceof ProduceRejectedError) {
          if (end - start > 1) {
            const middle = start + Math.ceil((end - start) / 2);
            pending.unshift([start, middle], [middle, end]);
            continue;
          }
          statuses[start] = {
            kind: "rejected",
            error: cause,
            attempts: giveUp instanceof RetryGiveUp ? giveUp.attempts : 1,
          };
        } else {
          const ownFailure = giveUp instanceof RetryGiveUp ? giveUp.ownFailures > 0 : true;
          const failure: SendStatus = {
            kind: "failed",
            reason: describeCause(cause),
            errorClass: errorClassName(cause),
            ownFailure,
          };
          for (let i = start; i < end; i += 1) statuses[i] = failure;
        }
        if (options.stopAtFirstProblem) return statuses;
      }
    }
    return statuses;
  }
}
