/** Shared by the redrive unit and integration tests. */
import type { CliIo } from "../../../tools/dlq/io";

/** A CliIo that records what a command printed. */
export function recordingIo(env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    env,
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    tty: false,
    columns: 160,
    redraw: () => undefined,
    now: () => new Date("2026-11-22T12:00:00.000Z"),
    onInterrupt: () => () => undefined,
  };
  return { io, out, err };
}

/** A document as Lambda writes it to an S3 on-failure destination (facts, section 3). */
export function onFailureDocument(
  event: unknown,
  condition = "RetryAttemptsExhausted",
  timestamp = "2026-11-22T10:00:00.000Z",
): string {
  return JSON.stringify({
    requestContext: {
      requestId: "0c7e0b4e-1111-2222-3333-444455556666",
      functionArn: "arn:aws:lambda:us-east-1:111122223333:function:kafka-processor",
      condition,
      approximateInvokeCount: 3,
    },
    responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
    version: "1.0",
    timestamp,
    KafkaBatchInfo: {
      batchSize: 2,
      eventSourceArn: "arn:aws:kafka:...",
      bootstrapServers: "b-1:9098",
      payloadSize: 400,
    },
    payload: JSON.stringify(event),
  });
}
