/**
 * In-memory stand-ins for the redrive ports, with the same semantics as the DynamoDB and S3
 * adapters (conditional status changes, sort-key order), for unit tests of the redrive logic.
 */
import type { DeadLetterEnvelope } from "../../../functions/lib/core/deadLetter";
import { recordId } from "../../../functions/lib/core/recordIdentity";
import { matchesFilter } from "../../../functions/lib/redrive/deadLetterFilter";
import { isBeyond, LISTING_ORDERS, type ListingOrder } from "../../../functions/lib/redrive/indexQueries";
import type {
  DeadLetterCatalog,
  EnvelopeStore,
  RedriveRun,
  RedriveRunStore,
  TopicDirectory,
} from "../../../functions/lib/redrive/ports";
import type {
  ArchiveLocation,
  DeadLetterFilter,
  DeadLetterView,
  DiscardMark,
  RedriveMark,
} from "../../../functions/lib/redrive/types";

export class MemoryCatalog implements DeadLetterCatalog {
  readonly letters = new Map<string, DeadLetterView>();
  marks = 0;

  constructor(letters: readonly DeadLetterView[] = []) {
    for (const letter of letters) this.letters.set(letter.id, letter);
  }

  async get(id: string): Promise<DeadLetterView | undefined> {
    return this.letters.get(id);
  }

  async *find(filter: DeadLetterFilter, order: ListingOrder, after?: string): AsyncGenerator<DeadLetterView> {
    const sorted = [...this.letters.values()]
      .filter((l) => matchesFilter(l, { ...filter, ids: [] }) && isBeyond(l.sortKey, after, order))
      .sort((a, b) => a.sortKey.localeCompare(b.sortKey));
    if (order === LISTING_ORDERS.newestFirst) sorted.reverse();
    // Later status changes are visible while iterating, as with a paged query.
    for (const letter of sorted) {
      const current = this.letters.get(letter.id);
      if (current !== undefined && filter.statuses.includes(current.status)) yield current;
    }
  }

  async count(filter: DeadLetterFilter): Promise<number> {
    let n = 0;
    for await (const _ of this.find(filter, LISTING_ORDERS.oldestFirst)) n += 1;
    return n;
  }

  async atCoordinates(topic: string, partition: number, offset: number): Promise<DeadLetterView[]> {
    return [...this.letters.values()]
      .filter((l) => l.topic === topic && l.partition === partition && l.offset === offset)
      .sort((a, b) => a.sortKey.localeCompare(b.sortKey));
  }

  async hasTopic(topic: string): Promise<boolean> {
    return [...this.letters.values()].some((l) => l.topic === topic);
  }

  async markRedriven(id: string, mark: RedriveMark & { redriveCount: number }): Promise<boolean> {
    this.marks += 1;
    const letter = this.letters.get(id);
    if (letter?.status !== "new") return false;
    this.letters.set(id, { ...letter, status: "redriven", redriveCount: mark.redriveCount, redrive: mark });
    return true;
  }

  async markDiscarded(id: string, mark: DiscardMark): Promise<boolean> {
    const letter = this.letters.get(id);
    if (letter?.status !== "new") return false;
    this.letters.set(id, { ...letter, status: "discarded", discard: mark });
    return true;
  }
}

export class MemoryEnvelopes implements EnvelopeStore {
  readonly envelopes = new Map<string, DeadLetterEnvelope>();

  async get(location: ArchiveLocation): Promise<DeadLetterEnvelope | undefined> {
    return this.envelopes.get(location.id);
  }
}

export class MemoryRuns implements RedriveRunStore {
  readonly runs = new Map<string, RedriveRun>();
  saves = 0;

  async load(runId: string): Promise<RedriveRun | undefined> {
    return this.runs.get(runId);
  }

  async save(run: RedriveRun): Promise<void> {
    this.saves += 1;
    this.runs.set(run.runId, structuredClone(run));
  }
}

export class MemoryTopics implements TopicDirectory {
  constructor(private readonly present: ReadonlySet<string>) {}

  async missing(topics: readonly string[]): Promise<string[]> {
    return topics.filter((t) => !this.present.has(t));
  }
}

/**
 * A dead letter of `topic` at `offset`, failed `minute` minutes after a fixed time, with its envelope.
 * Its id is tagged when a `cluster` is given, else of the older untagged form.
 */
export function deadLetter(
  topic: string,
  offset: number,
  options: {
    minute?: number;
    status?: DeadLetterView["status"];
    redriveCount?: number;
    stage?: string;
    cluster?: string;
    timestamp?: number;
  } = {},
): { view: DeadLetterView; envelope: DeadLetterEnvelope } {
  const timestamp = options.timestamp ?? Date.UTC(2026, 10, 20, 9);
  const id =
    options.cluster === undefined
      ? `${topic}:0:${offset}`
      : recordId(options.cluster, { topic, partition: 0, offset, timestamp });
  const failedAt = new Date(Date.UTC(2026, 10, 20, 10, options.minute ?? offset)).toISOString();
  const archiveKey = `dead-letters/topic=${topic}/date=2026-11-20/${topic}-0-${offset}-${offset}.jsonl.gz`;
  const stage = options.stage ?? "validate";
  const view: DeadLetterView = {
    id,
    topic,
    partition: 0,
    offset,
    timestamp,
    stage,
    errorClass: "SchemaViolationError",
    errorMessage: "age: Too small",
    failedAt,
    day: failedAt.slice(0, 10),
    attempts: 1,
    archiveBucket: "dead-letters-test",
    archiveKey,
    archiveLine: 0,
    dlqTopic: `${topic}.dlq`,
    dlqPartition: 0,
    dlqOffset: offset,
    status: options.status ?? "new",
    redriveCount: options.redriveCount ?? 0,
    functionName: "kafka-processor",
    requestId: "req-1",
    cluster: options.cluster,
    sortKey: `${failedAt}#${id}`,
    redrive: undefined,
    discard: undefined,
  };
  const envelope: DeadLetterEnvelope = {
    version: 1,
    id,
    // `cluster` only on tagged letters, as the processor writes them; the assertion keeps this
    // fixture compiling whether or not the envelope type declares the field yet.
    source: {
      topic,
      partition: 0,
      offset,
      timestamp: view.timestamp,
      timestampType: "CREATE_TIME",
      eventSource: "aws:kafka",
      eventSourceArn: null,
      ...(options.cluster === undefined ? {} : { cluster: options.cluster }),
    } as DeadLetterEnvelope["source"],
    error: {
      stage: stage as DeadLetterEnvelope["error"]["stage"],
      class: view.errorClass,
      message: view.errorMessage,
    },
    attempts: 1,
    failedAt,
    invocation: { functionName: "kafka-processor", functionVersion: "$LATEST", requestId: "req-1" },
    dlqTopic: view.dlqTopic,
    archiveKey,
    record: {
      key: Buffer.from(`k-${offset}`).toString("base64"),
      value: Buffer.from(JSON.stringify({ n: offset })).toString("base64"),
      headers: [
        { name: "traceId", value: Buffer.from("abc").toString("base64") },
        ...(options.redriveCount
          ? [{ name: "x-redrive-count", value: Buffer.from(String(options.redriveCount)).toString("base64") }]
          : []),
      ],
    },
  };
  return { view, envelope };
}
