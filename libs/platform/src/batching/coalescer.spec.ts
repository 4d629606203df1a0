import { Coalescer } from './coalescer';

/** A `runBatch` whose batches end only when the test says so; it records what it was given. */
function controlled<I>() {
  const batches: I[][] = [];
  const ends: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  const runBatch = (items: I[]) => {
    batches.push(items);
    return new Promise<string[]>((resolve, reject) => {
      ends.push({ resolve: () => resolve(items.map((i) => `done ${String(i)}`)), reject });
    });
  };
  return { batches, ends, runBatch };
}

/** Lets every queued microtask and promise callback run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('Coalescer', () => {
  it('answers each caller with its own item’s result, in order', async () => {
    const coalescer = new Coalescer(async (items: number[]) => items.map((n) => n * 10), {
      maxBatch: 10,
      maxInFlight: 1,
    });
    expect(await Promise.all([1, 2, 3].map((n) => coalescer.submit(n)))).toEqual([10, 20, 30]);
  });

  it('sends an item at once when nothing is running, with the others of the same tick', async () => {
    const { batches, runBatch, ends } = controlled<string>();
    const coalescer = new Coalescer(runBatch, { maxBatch: 10, maxInFlight: 1 });
    const a = coalescer.submit('a');
    const b = coalescer.submit('b');
    await Promise.resolve();
    expect(batches).toEqual([['a', 'b']]);
    ends[0].resolve();
    expect(await Promise.all([a, b])).toEqual(['done a', 'done b']);
  });

  it('holds what arrives while a batch runs and sends it together when that batch ends', async () => {
    const { batches, runBatch, ends } = controlled<string>();
    const coalescer = new Coalescer(runBatch, { maxBatch: 10, maxInFlight: 1 });
    const first = coalescer.submit('a');
    await settle();
    const later = ['b', 'c', 'd'].map((x) => coalescer.submit(x));
    await settle();
    expect(batches).toEqual([['a']]);
    expect(coalescer.pending).toBe(3);

    ends[0].resolve();
    expect(await first).toBe('done a');
    await settle();
    expect(batches).toEqual([['a'], ['b', 'c', 'd']]);
    ends[1].resolve();
    expect(await Promise.all(later)).toEqual(['done b', 'done c', 'done d']);
    expect(coalescer.pending).toBe(0);
  });

  it('runs up to maxInFlight batches at once', async () => {
    const { batches, runBatch, ends } = controlled<number>();
    const coalescer = new Coalescer(runBatch, { maxBatch: 10, maxInFlight: 2 });
    const one = coalescer.submit(1);
    await settle();
    const two = coalescer.submit(2);
    await settle();
    const rest = [3, 4].map((n) => coalescer.submit(n));
    await settle();
    expect(batches).toEqual([[1], [2]]);

    ends[1].resolve();
    await settle();
    expect(batches).toEqual([[1], [2], [3, 4]]);
    ends[0].resolve();
    ends[2].resolve();
    expect(await Promise.all([one, two, ...rest])).toEqual(['done 1', 'done 2', 'done 3', 'done 4']);
  });

  it('never puts more than maxBatch items in a batch, and keeps their order', async () => {
    const { batches, runBatch, ends } = controlled<number>();
    const coalescer = new Coalescer(runBatch, { maxBatch: 2, maxInFlight: 1 });
    const all = [1, 2, 3, 4, 5].map((n) => coalescer.submit(n));
    await settle();
    expect(batches).toEqual([[1, 2]]);
    ends[0].resolve();
    await settle();
    ends[1].resolve();
    await settle();
    ends[2].resolve();
    expect(await Promise.all(all)).toEqual([1, 2, 3, 4, 5].map((n) => `done ${n}`));
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('with room for several batches, splits a full queue into several at once', async () => {
    const { batches, runBatch, ends } = controlled<number>();
    const coalescer = new Coalescer(runBatch, { maxBatch: 2, maxInFlight: 3 });
    const all = [1, 2, 3, 4, 5, 6, 7].map((n) => coalescer.submit(n));
    await settle();
    expect(batches).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    ends.forEach((e) => e.resolve());
    await settle();
    expect(batches[3]).toEqual([7]);
    ends[3].resolve();
    await Promise.all(all);
  });

  it('rejects every item of a failed batch with its error, and goes on with the next batch', async () => {
    const { batches, runBatch, ends } = controlled<string>();
    const coalescer = new Coalescer(runBatch, { maxBatch: 10, maxInFlight: 1 });
    const first = coalescer.submit('a');
    await settle();
    const failing = ['b', 'c'].map((x) => coalescer.submit(x));
    await settle();
    ends[0].resolve();
    await settle();
    const outage = Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
    ends[1].reject(outage);
    for (const p of failing) await expect(p).rejects.toBe(outage);
    expect(await first).toBe('done a');

    const after = coalescer.submit('d');
    await settle();
    expect(batches).toEqual([['a'], ['b', 'c'], ['d']]);
    ends[2].resolve();
    expect(await after).toBe('done d');
  });

  it('rejects the batch when runBatch throws at once or answers the wrong number of results', async () => {
    const thrown = new Error('bad statement');
    const throwing = new Coalescer<number, number>(
      () => {
        throw thrown;
      },
      { maxBatch: 10, maxInFlight: 1 },
    );
    await expect(throwing.submit(1)).rejects.toBe(thrown);

    const short = new Coalescer(async (items: number[]) => items.slice(1), { maxBatch: 10, maxInFlight: 1 });
    const answers = await Promise.allSettled([short.submit(1), short.submit(2)]);
    expect(answers.map((a) => a.status)).toEqual(['rejected', 'rejected']);
    expect((answers[0] as PromiseRejectedResult).reason.message).toMatch(/1 results for 2 items/);
  });

  it('under many concurrent callers, answers each once and never exceeds its bounds', async () => {
    let running = 0;
    let most = 0;
    const sizes: number[] = [];
    const coalescer = new Coalescer(
      async (items: number[]) => {
        running++;
        most = Math.max(most, running);
        sizes.push(items.length);
        await new Promise((resolve) => setTimeout(resolve, 1));
        running--;
        return items.map((n) => -n);
      },
      { maxBatch: 8, maxInFlight: 2 },
    );
    const callers = Array.from({ length: 100 }, async (_, n) => {
      await new Promise((resolve) => setTimeout(resolve, n % 7));
      return coalescer.submit(n);
    });
    const answers = await Promise.all(callers);
    expect(answers).toEqual(Array.from({ length: 100 }, (_, n) => -n));
    expect(most).toBeLessThanOrEqual(2);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(8);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(100);
    expect(sizes.length).toBeLessThan(100);
  });

  it('refuses bounds below one', () => {
    expect(() => new Coalescer(async () => [], { maxBatch: 0, maxInFlight: 1 })).toThrow(/maxBatch/);
    expect(() => new Coalescer(async () => [], { maxBatch: 1, maxInFlight: 1.5 })).toThrow(/maxInFlight/);
  });
});
