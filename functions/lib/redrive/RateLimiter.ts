export interface RateLimiterClock {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/**
 * Paces a redrive to at most `ratePerSecond` records per second on average: each batch reserves its
 * share of time and waits until the previous reservations have passed. The first batch goes at once.
 */
export class RateLimiter {
  private nextFreeAt: number | undefined;

  constructor(
    private readonly ratePerSecond: number,
    private readonly clock: RateLimiterClock,
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError("a rate must be positive");
  }

  async acquire(records: number): Promise<void> {
    const now = this.clock.now();
    const start = Math.max(now, this.nextFreeAt ?? now);
    this.nextFreeAt = start + (records * 1_000) / this.ratePerSecond;
    if (start > now) await this.clock.sleep(start - now);
  }
}
