/** Counts of dead letters along the dimensions operators ask about first. */
export interface DeadLetterStats {
  readonly total: number;
  readonly byTopic: Readonly<Record<string, number>>;
  readonly byStage: Readonly<Record<string, number>>;
  readonly byDay: Readonly<Record<string, number>>;
  readonly byStatus: Readonly<Record<string, number>>;
  /** `<topic> / <stage>` pairs: which pipeline fails where. */
  readonly byTopicAndStage: Readonly<Record<string, number>>;
}

/**
 * Folds dead letters into {@link DeadLetterStats} as they stream from the index queries, so stats
 * over a large index never hold the items in memory.
 */
export class DeadLetterStatsBuilder {
  private total = 0;
  private readonly byTopic: Record<string, number> = {};
  private readonly byStage: Record<string, number> = {};
  private readonly byDay: Record<string, number> = {};
  private readonly byStatus: Record<string, number> = {};
  private readonly byTopicAndStage: Record<string, number> = {};

  add(letter: {
    readonly topic: string;
    readonly stage: string;
    readonly day: string;
    readonly status: string;
  }): void {
    this.total += 1;
    bump(this.byTopic, letter.topic);
    bump(this.byStage, letter.stage);
    bump(this.byDay, letter.day);
    bump(this.byStatus, letter.status);
    bump(this.byTopicAndStage, `${letter.topic} / ${letter.stage}`);
  }

  build(): DeadLetterStats {
    return {
      total: this.total,
      byTopic: sortedByCount(this.byTopic),
      byStage: sortedByCount(this.byStage),
      // Days read best in calendar order, newest first, like the listing.
      byDay: Object.fromEntries(Object.entries(this.byDay).sort(([a], [b]) => b.localeCompare(a))),
      byStatus: sortedByCount(this.byStatus),
      byTopicAndStage: sortedByCount(this.byTopicAndStage),
    };
  }
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

function sortedByCount(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([ka, a], [kb, b]) => b - a || ka.localeCompare(kb)));
}
