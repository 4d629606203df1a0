export interface CoalescerOptions {
  /** The most items one batch takes; the rest wait for the next. */
  maxBatch: number;
  /** The most batches running at once; what is submitted meanwhile waits and goes out together. */
  maxInFlight: number;
}

interface Waiting<I, O> {
  item: I;
  resolve: (result: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Turns concurrent calls into batches: each `submit` is answered with its own item's result,
 * but the items submitted while `maxInFlight` batches are running are handed to `runBatch`
 * together once one of them ends. No timer: when nothing is running, an item goes out at the
 * next microtask (with whatever was submitted in the same tick), so batching costs an idle
 * caller nothing and a busy one a round trip at most.
 *
 * `runBatch` answers one result per item, in the items' order. When it rejects (or answers
 * the wrong number of results), every item of that batch is rejected with that error, so each
 * caller sees the error it would have had alone (an outage stays an outage); the next batch
 * runs as usual. Items go out in the order they were submitted.
 *
 * Not a cache (DataLoader's is per key): the same item submitted twice is in the batch twice.
 */
export class Coalescer<I, O> {
  private readonly waiting: Waiting<I, O>[] = [];
  private running = 0;
  private scheduled = false;

  constructor(
    private readonly runBatch: (items: I[]) => Promise<O[]>,
    private readonly options: CoalescerOptions,
  ) {
    for (const [name, value] of Object.entries(options))
      if (!Number.isInteger(value) || value < 1) throw new RangeError(`Coalescer: ${name} must be an integer ≥ 1`);
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Items waiting for a batch (for tests and metrics). */
  get pending(): number {
    return this.waiting.length;
  }

  private schedule(): void {
    if (this.scheduled || this.running >= this.options.maxInFlight) return;
    this.scheduled = true;
    // A microtask, not a timer: the other submits of this tick join without any wait.
    queueMicrotask(() => {
      this.scheduled = false;
      while (this.waiting.length && this.running < this.options.maxInFlight)
        void this.run(this.waiting.splice(0, this.options.maxBatch));
    });
  }

  private async run(batch: Waiting<I, O>[]): Promise<void> {
    this.running++;
    try {
      const results = await this.runBatch(batch.map((w) => w.item));
      if (results.length !== batch.length)
        throw new Error(`Coalescer: runBatch answered ${results.length} results for ${batch.length} items`);
      batch.forEach((w, i) => w.resolve(results[i]));
    } catch (error) {
      for (const w of batch) w.reject(error);
    } finally {
      this.running--;
      if (this.waiting.length) this.schedule();
    }
  }
}
