import { decodeKafkaEvent } from "../core/decodeEvent";
import { PipelineError } from "../core/errors";
import { clusterIdentity, recordId } from "../core/recordIdentity";
import type { ReplayCandidate } from "./types";

/**
 * Conditions under which the mapping gives a batch to its on-failure destination. AWS's pages spell
 * the retry one two ways; both are accepted.
 */
export const ON_FAILURE_CONDITIONS = [
  "RetryAttemptsExhausted",
  "RetriesExhausted",
  "MaximumPayloadSizeExceeded",
  "RecordAgeExceeded",
] as const;

/** The facts of one on-failure document, and the records of the failed batch it carries. */
export interface OnFailureBatch {
  readonly requestId: string;
  readonly functionArn: string;
  readonly condition: string;
  readonly failedAt: string;
  readonly candidates: readonly ReplayCandidate[];
  /** Records of the payload that cannot be replayed byte for byte (bad base64): id and reason. */
  readonly unreadable: readonly { readonly id: string; readonly reason: string }[];
}

/** An S3 object under the on-failure prefix that is not a document this tool can replay. */
export class OnFailureDocumentError extends PipelineError {
  /** Named here, not by the constructor: the deployed bundle is minified. */
  override readonly name: string = "OnFailureDocumentError";
}

/**
 * Reads one document Lambda wrote to an S3 on-failure destination. Only S3 destinations carry the
 * batch (`payload`, the whole invocation event as a JSON string); each of its records becomes a
 * candidate with the id the processor would have given it, so both redrive paths agree on ids.
 *
 * The stage of such a candidate is `on-failure` and its error class the document's condition
 * (the function never got to classify the records).
 */
export function parseOnFailureDocument(text: string, objectKey: string): OnFailureBatch {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new OnFailureDocumentError(`${objectKey} is not JSON`);
  }
  if (typeof document !== "object" || document === null) {
    throw new OnFailureDocumentError(`${objectKey} is not an on-failure document`);
  }
  const { requestContext, timestamp, payload, KafkaBatchInfo } = document as Record<string, unknown>;
  const context = (
    typeof requestContext === "object" && requestContext !== null ? requestContext : {}
  ) as Record<string, unknown>;
  const condition = typeof context.condition === "string" ? context.condition : "";
  if (!(ON_FAILURE_CONDITIONS as readonly string[]).includes(condition)) {
    throw new OnFailureDocumentError(
      `${objectKey} has no known requestContext.condition (got ${JSON.stringify(context.condition)})`,
    );
  }
  if (typeof payload !== "string") {
    throw new OnFailureDocumentError(
      `${objectKey} carries no payload: only S3 on-failure destinations keep the failed records`,
    );
  }
  let event: unknown;
  try {
    event = JSON.parse(payload);
  } catch {
    throw new OnFailureDocumentError(`${objectKey}: payload is not a JSON invocation event`);
  }
  let batch: ReturnType<typeof decodeKafkaEvent>;
  try {
    batch = decodeKafkaEvent(event);
  } catch (error) {
    throw new OnFailureDocumentError(
      `${objectKey}: payload is not a Kafka event: ${(error as Error).message}`,
    );
  }

  const failedAt = isoOr(timestamp, new Date(0).toISOString());
  // The processor tags ids with the cluster the event names; KafkaBatchInfo names the same one.
  const info = (
    typeof KafkaBatchInfo === "object" && KafkaBatchInfo !== null ? KafkaBatchInfo : {}
  ) as Record<string, unknown>;
  const cluster = clusterIdentity(
    batch.eventSourceArn ?? stringOr(info.eventSourceArn),
    batch.bootstrapServers ?? stringOr(info.bootstrapServers),
  );
  const candidates: ReplayCandidate[] = [];
  const unreadable: { id: string; reason: string }[] = [];
  for (const partition of batch.partitions) {
    for (const record of partition.records) {
      const id = recordId(cluster, record);
      if (record.decodeError !== undefined) {
        unreadable.push({ id, reason: record.decodeError.message });
        continue;
      }
      candidates.push({
        id,
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        failedAt,
        stage: "on-failure",
        errorClass: condition,
        status: "new",
        redriveCount: 0,
        record: {
          key: typeof record.raw.key === "string" ? record.raw.key : null,
          value: typeof record.raw.value === "string" ? record.raw.value : null,
          headers: record.headers.map((h) => ({ name: h.name, value: h.value.toString("base64") })),
        },
      });
    }
  }
  return {
    requestId: typeof context.requestId === "string" ? context.requestId : "",
    functionArn: typeof context.functionArn === "string" ? context.functionArn : "",
    condition,
    failedAt,
    candidates,
    unreadable,
  };
}

function isoOr(value: unknown, fallback: string): string {
  if (typeof value !== "string" && typeof value !== "number") return fallback;
  const ms = typeof value === "number" ? value : Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : fallback;
}

function stringOr(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}
