import { isProgrammingError, PipelineError, TransientError } from "../core/errors";

const THROTTLING = new Set([
  "ThrottlingException",
  "Throttling",
  "SlowDown",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "TooManyRequestsException",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
]);

interface AwsLikeError {
  readonly name?: string;
  readonly message?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $retryable?: unknown;
}

/**
 * AWS SDK errors to the pipeline's model: throttling, timeouts, 5xx and network failures (no HTTP
 * status at all) are transient; other 4xx (access denied, missing bucket or table) are permanent
 * for this invocation. Bugs pass through untouched.
 */
export function translateAwsError(error: unknown, action: string): Error {
  if (isProgrammingError(error)) return error as Error;
  const e = (typeof error === "object" && error !== null ? error : {}) as AwsLikeError;
  const status = e.$metadata?.httpStatusCode;
  const detail = `${e.name ?? "Error"}: ${e.message ?? String(error)}`;
  const transient =
    (e.name !== undefined && THROTTLING.has(e.name)) ||
    e.$retryable !== undefined ||
    status === undefined ||
    status >= 500 ||
    status === 429;
  return transient
    ? new TransientError(`${action} failed: ${detail}`, { cause: error })
    : new PipelineError(`${action} failed: ${detail}`, { cause: error, retriable: false });
}
