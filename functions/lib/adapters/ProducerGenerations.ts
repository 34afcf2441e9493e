/**
 * The producer a sink sends with, replaced after a failure that may have left it broken (a broker
 * that stopped answering mid-connection), so a warm container never reuses it. A replaced producer
 * is closed once the sends still using it finish; a producer that never opened, or whose brokers
 * are gone, is dropped quietly. Shared by the kafkajs and the @platformatic/kafka sinks.
 */
export interface ProducerLifecycle<P> {
  /** A new, ready producer (connected, or built from settings read once). */
  open(): Promise<P>;
  close(producer: P): Promise<void>;
}

interface Generation<P> {
  readonly ready: Promise<P>;
  inFlight: number;
  retired: boolean;
}

export class ProducerGenerations<P> {
  private generation: Generation<P> | undefined;

  constructor(private readonly lifecycle: ProducerLifecycle<P>) {}

  /**
   * Sends with the current producer. A failure is handed to `translate`; unless `keepProducer`
   * says the producer is sound (the broker refused the records), the producer is replaced.
   */
  async send<T>(
    send: (producer: P) => Promise<T>,
    translate: (error: unknown) => Error,
    keepProducer: (error: Error) => boolean,
  ): Promise<T> {
    const generation = this.current();
    generation.inFlight += 1;
    try {
      return await send(await generation.ready);
    } catch (error) {
      const translated = translate(error);
      if (!keepProducer(translated)) this.retire(generation);
      throw translated;
    } finally {
      generation.inFlight -= 1;
      if (generation.retired && generation.inFlight === 0) void this.closeQuietly(generation);
    }
  }

  /**
   * Retires the current producer and closes it: at once, or with `afterInFlight` once the sends
   * still using it finish (the last of them closes it).
   */
  async close(options: { afterInFlight: boolean }): Promise<void> {
    const generation = this.generation;
    this.generation = undefined;
    if (generation === undefined) return;
    generation.retired = true;
    if (!options.afterInFlight || generation.inFlight === 0) await this.closeQuietly(generation);
  }

  private current(): Generation<P> {
    if (this.generation === undefined || this.generation.retired) {
      const ready = this.lifecycle.open();
      // A failure is seen by the send awaiting it; nobody else waits on this promise.
      ready.catch(() => undefined);
      this.generation = { ready, inFlight: 0, retired: false };
    }
    return this.generation;
  }

  private retire(generation: Generation<P>): void {
    generation.retired = true;
    if (this.generation === generation) this.generation = undefined;
  }

  private async closeQuietly(generation: Generation<P>): Promise<void> {
    try {
      await this.lifecycle.close(await generation.ready);
    } catch {
      // Nothing to release: the producer never opened, or its sockets are already closed.
    }
  }
}
