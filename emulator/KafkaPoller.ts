import type { Consumer, EachBatchPayload, Kafka } from "kafkajs";
import type { MappingCounters } from "./emulatorStats";
import { countWithinPayloadCap, type EventEnvelope, partitionId, toPolledRecord } from "./eventBuilder";
import { type Pending, pendingOf } from "./pendingRecords";
import type { EmulatorLogger, MappingSettings } from "./types";

/** One assigned (or once assigned) partition: what was fetched and not yet invoked. */
export interface PartitionState {
  readonly id: string;
  readonly topic: string;
  readonly partition: number;
  /** Fetched, not yet invoked, in offset order. */
  buffer: Pending[];
  /** The next offset the broker should hand us; anything below is a re-fetch and is dropped. */
  fetchedUpTo: number | undefined;
  /** First offset fetched in this run: committed records are counted from there. */
  firstFetched: number | undefined;
  committed: number | undefined;
  paused: boolean;
  assigned: boolean;
}

export interface KafkaPollerOptions {
  readonly kafka: Kafka;
  readonly settings: MappingSettings;
  readonly envelope: EventEnvelope;
  readonly logger: EmulatorLogger;
  readonly counters: MappingCounters;
  /** New records were buffered. */
  readonly onRecords: () => void;
  /** The consumer gave up for good (authorization, a deleted topic): nothing more will arrive. */
  readonly onFatal: () => void;
}

/** A little under 6 MB of records: the JSON around them needs the rest. */
const MAX_PAYLOAD_FILL_BYTES = 6 * 1024 * 1024 - 64 * 1024;

/**
 * The mapping's poller: one kafkajs consumer in the mapping's group, fetched records buffered per
 * partition (never processed inside kafkajs's fetch loop, so a slow function never stalls the
 * group's heartbeats), and batches cut from the buffers as Lambda cuts them: batch size, batching
 * window or 6 MB, whichever comes first. Offsets are never committed by kafkajs (autoCommit off).
 */
export class KafkaPoller {
  readonly partitions = new Map<string, PartitionState>();
  private consumer: Consumer | undefined;
  private readonly seekOnAssignment = new Map<string, number>();
  private readonly maxBufferedPerPartition: number;
  private windowStart: number | undefined;
  private rotation = 0;
  /** Fetch responses since the last new record: a broker that answers counts towards idleness. */
  fetchesSinceActivity = 0;

  constructor(private readonly options: KafkaPollerOptions) {
    this.maxBufferedPerPartition = Math.max(options.settings.batchSize * 2, 1_000);
  }

  get connectedConsumer(): Consumer | undefined {
    return this.consumer;
  }

  async start(initialOffsets: readonly { topic: string; partition: number; offset: number }[] | undefined) {
    const { kafka, settings, logger } = this.options;
    if (initialOffsets !== undefined) await this.applyInitialOffsets(initialOffsets);
    const consumer = kafka.consumer({
      groupId: settings.groupId,
      allowAutoTopicCreation: false,
      // Short broker waits so an idle stream and a stop are noticed quickly.
      maxWaitTimeInMs: 250,
      // After the whole cluster restarts, the group's coordinator waits out the old session before
      // the member fetches again: 30 s with kafkajs's default, measured as 25 s of no fetches here.
      // Heartbeats never wait for the function (it runs outside the fetch loop), so a short session
      // costs nothing; 10 s stays above the brokers' group.min.session.timeout.ms (6 s).
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      retry: { initialRetryTime: 300, retries: 8 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => this.onAssignment(payload.memberAssignment));
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) return;
      logger.error("the Kafka consumer crashed and will not restart; stopping", {
        error: String(payload.error),
      });
      this.options.onFatal();
    });
    consumer.on(consumer.events.FETCH, () => {
      this.fetchesSinceActivity += 1;
    });
    await consumer.connect();
    await consumer.subscribe({
      topics: [...settings.topics],
      fromBeginning: settings.startingPosition === "TRIM_HORIZON",
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.onFetched(payload),
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
  }

  /** Assigned partitions with buffered records whose partition is not busy elsewhere. */
  freeStates(busy: ReadonlySet<string>): PartitionState[] {
    return [...this.partitions.values()].filter((s) => s.assigned && s.buffer.length > 0 && !busy.has(s.id));
  }

  /** A batch as Lambda builds one: batch size reached, 6 MB reached, or the window elapsed. */
  takeReadyBatch(busy: ReadonlySet<string>): Pending[] | undefined {
    const states = this.freeStates(busy);
    const available = states.reduce((sum, s) => sum + s.buffer.length, 0);
    if (available === 0) {
      this.windowStart = undefined;
      return undefined;
    }
    this.windowStart ??= Date.now();
    const waited = Date.now() - this.windowStart;
    const { batchSize, batchingWindowMs } = this.options.settings;
    if (available < batchSize && waited < batchingWindowMs && !fillsPayload(states)) return undefined;
    this.windowStart = undefined;
    return this.takeBatch(states);
  }

  /** How long until the batching window of the buffered records elapses. */
  windowRemaining(): number {
    if (this.windowStart === undefined) return 1_000;
    return Math.max(1, this.options.settings.batchingWindowMs - (Date.now() - this.windowStart));
  }

  /** Puts records back at the head of their (still assigned) partitions, in offset order. */
  putBack(id: string, records: Pending[]): void {
    const state = this.partitions.get(id);
    if (state === undefined || !state.assigned) return;
    records.sort((a, b) => a.offset - b.offset);
    state.buffer = [...records, ...state.buffer];
  }

  bufferedCount(): number {
    let count = 0;
    for (const state of this.partitions.values()) if (state.assigned) count += state.buffer.length;
    return count;
  }

  /**
   * Partitions of the initial offsets whose group has no committed offset start there: fetched
   * records below are dropped, and the consumer seeks there once the partition is assigned.
   * (kafkajs's admin `setOffsets` on a new group costs seconds of coordinator retries.)
   */
  private async applyInitialOffsets(
    offsets: readonly { topic: string; partition: number; offset: number }[],
  ): Promise<void> {
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      const topics = [...new Set(offsets.map((o) => o.topic))];
      const committed = await admin.fetchOffsets({ groupId: this.options.settings.groupId, topics });
      for (const { topic, partition, offset } of offsets) {
        const current = committed
          .find((c) => c.topic === topic)
          ?.partitions.find((p) => p.partition === partition);
        if (current !== undefined && Number(current.offset) >= 0) continue;
        const state = this.stateOf(topic, partition);
        state.assigned = false;
        state.fetchedUpTo = offset;
        this.seekOnAssignment.set(state.id, offset);
      }
    } finally {
      await admin.disconnect();
    }
  }

  private onAssignment(assignment: Readonly<Record<string, readonly number[]>>): void {
    const assigned = new Set<string>();
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) {
        const state = this.stateOf(topic, partition);
        state.assigned = true;
        // A rejoin resumes fetching; kafkajs forgets pauses across it.
        state.paused = false;
        assigned.add(state.id);
        const start = this.seekOnAssignment.get(state.id);
        if (start !== undefined) {
          this.seekOnAssignment.delete(state.id);
          this.consumer?.seek({ topic, partition, offset: String(start) });
        }
      }
    }
    for (const state of this.partitions.values()) {
      if (assigned.has(state.id) || !state.assigned) continue;
      // Another member owns it now and starts from the committed offset; our copy is stale.
      this.options.logger.warn("partition revoked; its buffered records are left to the new owner", {
        partition: state.id,
        dropped: state.buffer.length,
      });
      state.assigned = false;
      state.buffer = [];
      state.fetchedUpTo = undefined;
    }
  }

  private stateOf(topic: string, partition: number): PartitionState {
    const id = partitionId({ topic, partition });
    let state = this.partitions.get(id);
    if (state === undefined) {
      state = {
        id,
        topic,
        partition,
        buffer: [],
        fetchedUpTo: undefined,
        firstFetched: undefined,
        committed: undefined,
        paused: false,
        assigned: true,
      };
      this.partitions.set(id, state);
    }
    return state;
  }

  /** kafkajs hands over fetched records; they are buffered, never processed inside the fetch loop. */
  private async onFetched({ batch, resolveOffset }: EachBatchPayload): Promise<void> {
    const state = this.stateOf(batch.topic, batch.partition);
    let added = 0;
    for (const message of batch.messages) {
      const offset = Number(message.offset);
      // Marks the record fetched (not committed: autoCommit is off) so the next fetch moves on.
      resolveOffset(message.offset);
      if (state.fetchedUpTo !== undefined && offset < state.fetchedUpTo) continue;
      state.buffer.push(pendingOf(toPolledRecord(batch.topic, batch.partition, message)));
      state.fetchedUpTo = offset + 1;
      state.firstFetched ??= offset;
      added += 1;
    }
    if (added === 0) return;
    this.options.counters.polled += added;
    this.fetchesSinceActivity = 0;
    if (!state.paused && state.buffer.length >= this.maxBufferedPerPartition) {
      state.paused = true;
      this.consumer?.pause([{ topic: state.topic, partitions: [state.partition] }]);
    }
    this.options.onRecords();
  }

  /** Takes records round-robin over partitions (each partition's in order), cut at the payload cap. */
  private takeBatch(states: readonly PartitionState[]): Pending[] {
    const { batchSize } = this.options.settings;
    const start = this.rotation++ % Math.max(1, states.length);
    const ordered = [...states.slice(start), ...states.slice(0, start)];
    const taken = new Map<PartitionState, number>();
    const picks: Pending[] = [];
    let progressed = true;
    while (picks.length < batchSize && progressed) {
      progressed = false;
      for (const state of ordered) {
        const index = taken.get(state) ?? 0;
        const next = state.buffer[index];
        if (next === undefined) continue;
        picks.push(next);
        taken.set(state, index + 1);
        progressed = true;
        if (picks.length === batchSize) break;
      }
    }
    const fits = countWithinPayloadCap(
      picks.map((p) => p.record),
      this.options.envelope,
    );
    // A first record over the cap alone is still taken: delivery sends it to the on-failure destination.
    const chosen = picks.slice(0, Math.max(1, fits));
    for (const state of ordered) {
      const count = chosen.filter((p) => p.topic === state.topic && p.partition === state.partition).length;
      if (count > 0) state.buffer.splice(0, count);
      if (state.paused && state.buffer.length < this.maxBufferedPerPartition / 2) {
        state.paused = false;
        this.consumer?.resume([{ topic: state.topic, partitions: [state.partition] }]);
      }
    }
    return chosen;
  }
}

function fillsPayload(states: readonly PartitionState[]): boolean {
  let bytes = 0;
  for (const state of states) {
    for (const pending of state.buffer) {
      bytes += pending.record.eventBytes;
      if (bytes > MAX_PAYLOAD_FILL_BYTES) return true;
    }
  }
  return false;
}
