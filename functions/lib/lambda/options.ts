import type { BatchResult, KafkaBatchProcessor } from "../core/KafkaBatchProcessor";
import type { ProcessorLogger } from "../core/ports";

/** Shared by the middy middleware and the plain wrapper: one way to turn a batch into a response. */
export interface KafkaBatchHandlingOptions {
  readonly processor: KafkaBatchProcessor;
  /** Throw when no record of the batch is done, so the mapping's retries and bisect apply. @default true */
  readonly throwOnFullBatchFailure?: boolean;
  /** Called once per batch with the outcome of every record, e.g. to publish metrics. */
  readonly onBatchProcessed?: (result: BatchResult) => void | Promise<void>;
  readonly logger?: ProcessorLogger;
}
