import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import type { Kafka } from "kafkajs";
import type { FailureCondition } from "./constants";
import type { MappingCounters } from "./emulatorStats";
import type { EventEnvelope } from "./eventBuilder";
import { explicitPartitioner, KafkaOnFailureDestination } from "./KafkaOnFailureDestination";
import { describePartitions, type Pending } from "./pendingRecords";
import { S3OnFailureDestination } from "./S3OnFailureDestination";
import type { EmulatorLogger, FailedBatch, MappingSettings, OnFailureDestination } from "./types";

export interface OnFailureSenderOptions {
  readonly settings: MappingSettings;
  readonly kafka: Kafka;
  readonly envelope: EventEnvelope;
  readonly functionArn: string;
  /** Replaces the destination built from `settings.onFailure`. */
  readonly destination?: OnFailureDestination;
  readonly s3?: S3ClientConfig;
  readonly counters: MappingCounters;
  readonly logger: EmulatorLogger;
  /** Waits before the next delivery attempt; resolves early when the run stops. */
  readonly sleep: (ms: number) => Promise<void>;
  readonly isStopping: () => boolean;
}

export type GiveUpResult = "delivered" | "dropped" | "kept";

/**
 * Where records go once their retries or their age run out: the on-failure destination, whose
 * delivery is retried until it succeeds, because committing past records nobody has is losing them.
 * Without a destination Lambda drops them, and so does the emulator, loudly.
 */
export class OnFailureSender {
  readonly locations: string[] = [];
  private readonly destination: OnFailureDestination | undefined;

  constructor(private readonly options: OnFailureSenderOptions) {
    this.destination = options.destination ?? buildDestination(options);
  }

  get description(): string {
    return this.destination?.description ?? "none";
  }

  /**
   * Delivers the records, or drops them without a destination. "kept" means the run stopped while
   * the destination failed: the records stay outstanding (the caller queues them again), so no
   * commit passes them and the next run delivers them.
   */
  async giveUp(
    records: readonly Pending[],
    condition: FailureCondition,
    functionError: string | undefined,
    requestId: string,
  ): Promise<GiveUpResult> {
    const { counters, logger } = this.options;
    const failed: FailedBatch = {
      records: records.map((p) => p.record),
      condition,
      requestId,
      invokeCount: Math.max(0, ...records.map((p) => p.failedAttempts)),
      functionError,
      failedAt: new Date(),
    };
    const destination = this.destination;
    if (destination === undefined) {
      counters.droppedRecords += records.length;
      logger.warn("records dropped: no on-failure destination", {
        condition,
        records: records.length,
        partitions: describePartitions(records),
      });
      return "dropped";
    }
    for (let attempt = 1; ; attempt += 1) {
      try {
        const locations = await destination.deliver(failed);
        counters.onFailureRecords += records.length;
        counters.onFailureBatches += 1;
        this.locations.push(...locations);
        logger.warn("records sent to the on-failure destination", {
          condition,
          records: records.length,
          partitions: describePartitions(records),
          destination:
            locations.length === 1
              ? locations[0]
              : `${destination.description} (${locations.length} messages)`,
        });
        return "delivered";
      } catch (error) {
        counters.onFailureDeliveryErrors += 1;
        logger.error("on-failure destination delivery failed; retrying", {
          destination: destination.description,
          error: String(error),
          attempt,
        });
        if (this.options.isStopping()) return "kept";
        await this.options.sleep(Math.min(5_000, 200 * 2 ** (attempt - 1)));
      }
    }
  }

  async close(): Promise<void> {
    await this.destination?.close().catch(() => undefined);
  }
}

function buildDestination(options: OnFailureSenderOptions): OnFailureDestination | undefined {
  const { settings, kafka } = options;
  const target = settings.onFailure;
  if (target === undefined) return undefined;
  const context = { envelope: options.envelope, functionArn: options.functionArn };
  if (target.type === "s3") {
    return new S3OnFailureDestination({
      client: new S3Client(options.s3 ?? { region: settings.region }),
      bucket: target.bucket,
      prefix: target.prefix,
      groupId: settings.groupId,
      context,
    });
  }
  return new KafkaOnFailureDestination({
    producer: kafka.producer({ allowAutoTopicCreation: false, createPartitioner: explicitPartitioner }),
    topic: target.topic,
    context,
    partitionCount: () => topicPartitionCount(kafka, target.topic),
  });
}

async function topicPartitionCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const count = topics[0]?.partitions.length ?? 0;
    if (count === 0) throw new Error(`the on-failure topic ${topic} has no partitions`);
    return count;
  } finally {
    await admin.disconnect();
  }
}
