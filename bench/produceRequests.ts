/**
 * Counts the Produce requests of every kafkajs producer created in this process (the project's
 * patched kafkajs and `kafkajs-stock`), from kafkajs's own instrumentation
 * (`producer.events.REQUEST`, emitted when the broker's response arrives): how many round trips a
 * side of a benchmark made, how long the broker took over them, and how big they were.
 * Benchmark-only: it wraps `Kafka.prototype.producer` so that producers built inside the handler
 * (the sink's, created on first use) are counted without the handler knowing.
 */
import { Kafka } from "kafkajs";
import { Kafka as StockKafka } from "kafkajs-stock";

export interface ProduceRequest {
  /** When the request went out, ms since the clock's start. */
  readonly sentAtMs: number;
  /** From sending to the response (the broker's time plus the network, acks=all included). */
  readonly durationMs: number;
  /** Of the response, bytes. */
  readonly responseBytes: number;
  /** Time the request waited in kafkajs's queue before it was sent. */
  readonly queuedMs: number;
}

export interface ProduceRequestLog {
  /** Forgets what was seen and restarts the clock. */
  reset(): void;
  /** The Produce requests answered since the last reset, in answer order. */
  readonly requests: readonly ProduceRequest[];
}

/** Installs the counter once per process; producers created before it are not counted. */
export function countProduceRequests(): ProduceRequestLog {
  let requests: ProduceRequest[] = [];
  let startedAt = Date.now();
  // The project's patched kafkajs and the untouched release the baselines use are two classes.
  for (const client of [Kafka, StockKafka] as (typeof Kafka)[]) {
    const original = client.prototype.producer;
    client.prototype.producer = function producer(this: Kafka, ...args: Parameters<Kafka["producer"]>) {
      const created = original.apply(this, args);
      created.on(created.events.REQUEST, ({ payload }) => {
        if (payload.apiName !== "Produce") return;
        requests.push({
          sentAtMs: payload.sentAt - startedAt,
          durationMs: payload.duration,
          responseBytes: payload.size,
          queuedMs: payload.pendingDuration,
        });
      });
      return created;
    };
  }
  return {
    reset() {
      requests = [];
      startedAt = Date.now();
    },
    get requests() {
      return requests;
    },
  };
}
