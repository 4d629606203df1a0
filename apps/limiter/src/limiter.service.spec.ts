import { DomainError, ErrorCode, type FraudVerdict } from '@app/contracts';
import { loadConfig, ManualClock, type RedisClient } from '@app/platform';
import type { FraudGuard } from './fraud/fraud-guard.service';
import { LimiterService } from './limiter.service';
import type { BucketCounter, Consumed } from './limits/bucket-counter';
import { LimitDefinitions } from './limits/limit-definitions';
import type { LimitEntity } from './limits/limit.entity';
import type { LimitsRepository } from './limits/limits.repository';

/**
 * The limiter's rules (SPEC section 6) without Postgres or Redis: the limit definitions come
 * from a repository fake, the bucket counters from a counter fake that answers as told and
 * records what was counted, and the per-account version from a map.
 */

const account = 'AC0123456789abcdef0123456789abcdef';

function limit(name: string, max = 5): LimitEntity {
  return {
    sid: `LM${name.padEnd(32, '0')}`,
    accountSid: account,
    accountEmail: null,
    createdBy: account,
    createdByEmail: null,
    name,
    description: null,
    buckets: [{ name: 'b', max, interval: 60 }],
    createdAt: new Date(0),
    updatedAt: new Date(0),
  };
}

class FakeRepository {
  reads = 0;
  constructor(public rows: LimitEntity[]) {}
  async findByNames(accountSid: string, names: string[]): Promise<LimitEntity[]> {
    this.reads++;
    return this.rows.filter((r) => r.accountSid === accountSid && names.includes(r.name));
  }
}

class FakeRedis {
  values = new Map<string, number>();
  async get(key: string): Promise<string | null> {
    return this.values.has(key) ? String(this.values.get(key)) : null;
  }
  async incr(key: string): Promise<number> {
    const next = (this.values.get(key) ?? 0) + 1;
    this.values.set(key, next);
    return next;
  }
}

/** Answers each scope from `answers` (allowed with 4 left by default), recording the scopes counted. */
class FakeCounter {
  counted: { scope: string; buckets: unknown }[] = [];
  answers = new Map<string, Consumed>();
  async consume(scope: string, buckets: unknown): Promise<Consumed> {
    this.counted.push({ scope, buckets });
    const prefix = [...this.answers.keys()].find((p) => scope.startsWith(p));
    return prefix ? this.answers.get(prefix)! : { allowed: true, remaining: 4, resetMs: 60_000, max: 5 };
  }
}

/** The fraud guard's decision, set by the test: no verdict (off), a verdict, or a refusal. */
class FakeGuard {
  decide: () => Promise<FraudVerdict | undefined> = async () => undefined;
  check(): Promise<FraudVerdict | undefined> {
    return this.decide();
  }
}

function setup(rows: LimitEntity[]) {
  const repository = new FakeRepository(rows);
  const redis = new FakeRedis();
  const clock = new ManualClock(new Date('2026-11-22T09:00:00Z'));
  const definitions = new LimitDefinitions(
    repository as unknown as LimitsRepository,
    redis as unknown as RedisClient,
    clock,
  );
  const counter = new FakeCounter();
  const guard = new FakeGuard();
  const service = new LimiterService(
    loadConfig({ DEFAULT_LIMIT_MAX: '1', DEFAULT_LIMIT_INTERVAL: '60' }),
    definitions,
    counter as unknown as BucketCounter,
    guard as unknown as FraudGuard,
  );
  return { service, counter, guard, repository, definitions, clock };
}

async function codeOf(work: Promise<unknown>): Promise<{ code: number; message: string; retryAfter?: number }> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return (error as DomainError).toReply();
}

describe('LimiterService', () => {
  it('applies the default limit per account and destination, never keying on the number itself', async () => {
    const { service, counter } = setup([]);
    const reply = await service.consume({ accountSid: account, destination: '+14155552671' });
    expect(reply).toEqual({ code: 200, message: 'OK', remaining: 4, resetIn: 60, limit: 5 });
    expect(counter.counted).toHaveLength(1);
    expect(counter.counted[0].scope).toMatch(new RegExp(`^default:${account}:`));
    expect(counter.counted[0].scope).not.toContain('4155552671');
    expect(counter.counted[0].buckets).toEqual([{ name: 'default', max: 1, interval: 60 }]);
  });

  it('refuses a full default bucket with 453 and when to retry (whole seconds, at least 1)', async () => {
    const { service, counter } = setup([]);
    counter.answers.set('default:', { allowed: false, waitMs: 1200, max: 1 });
    const reply = await codeOf(service.consume({ accountSid: account, destination: '+14155552671' }));
    expect(reply).toMatchObject({ code: ErrorCode.TooManyRequestsToDestination, retryAfter: 2 });
    counter.answers.set('default:', { allowed: false, waitMs: 10, max: 1 });
    expect(await codeOf(service.consume({ accountSid: account, destination: '+1' }))).toMatchObject({ retryAfter: 1 });
  });

  it('counts named limits in the order given, and answers with the tightest bucket', async () => {
    const a = limit('a');
    const b = limit('b');
    const { service, counter } = setup([a, b]);
    counter.answers.set(`${b.sid}:`, { allowed: true, remaining: 1, resetMs: 30_500, max: 2 });
    const reply = await service.consume({
      accountSid: account,
      destination: '+14155552671',
      limits: [
        { name: 'b', key: 'k1' },
        { name: 'a', key: 'k2' },
      ],
    });
    expect(counter.counted.map((c) => c.scope.split(':')[0])).toEqual([b.sid, a.sid]);
    expect(reply).toEqual({ code: 200, message: 'OK', remaining: 1, resetIn: 31, limit: 2 });
  });

  it('stops at the first limit that refuses (454 naming it): the ones after it count nothing', async () => {
    const [a, b, c] = [limit('a'), limit('b'), limit('c')];
    const { service, counter } = setup([a, b, c]);
    counter.answers.set(`${b.sid}:`, { allowed: false, waitMs: 5000, max: 5 });
    const reply = await codeOf(
      service.consume({
        accountSid: account,
        destination: '+1',
        limits: ['a', 'b', 'c'].map((name) => ({ name, key: 'k' })),
      }),
    );
    expect(reply).toMatchObject({ code: ErrorCode.LimitExceeded, message: 'Limit exceeded: b', retryAfter: 5 });
    expect(counter.counted.map((x) => x.scope.split(':')[0])).toEqual([a.sid, b.sid]);
  });

  it('refuses an unknown limit name with 495 before anything is counted', async () => {
    const { service, counter } = setup([limit('a')]);
    const reply = await codeOf(
      service.consume({
        accountSid: account,
        destination: '+1',
        limits: [
          { name: 'a', key: 'k' },
          { name: 'nope', key: 'k' },
        ],
      }),
    );
    expect(reply).toMatchObject({ code: ErrorCode.UnknownLimitName, message: 'Invalid Limit Name: nope' });
    expect(counter.counted).toEqual([]);
  });

  it('asks the fraud guard first: its refusal (456) counts nothing against the limits', async () => {
    const { service, counter, guard } = setup([]);
    guard.decide = async () => {
      throw new DomainError(ErrorCode.FraudBlocked, 'prefix_velocity', { reason: 'prefix_velocity', retryAfter: 60 });
    };
    const reply = await codeOf(service.consume({ accountSid: account, destination: '+14155552671' }));
    expect(reply).toMatchObject({ code: ErrorCode.FraudBlocked, retryAfter: 60 });
    expect(counter.counted).toEqual([]);
  });

  it("carries the fraud guard's verdict (monitor mode: would have blocked) on the reply once the limits counted", async () => {
    const { service, counter, guard } = setup([]);
    guard.decide = async () => ({ decision: 'monitor_blocked', reasons: ['prefix_velocity'] });
    const reply = await service.consume({ accountSid: account, destination: '+14155552671' });
    expect(reply).toMatchObject({ code: 200, fraud: { decision: 'monitor_blocked', reasons: ['prefix_velocity'] } });
    expect(counter.counted).toHaveLength(1);
  });

  it('keys each limit on a digest of the key, so the same key counts in the same buckets', async () => {
    const a = limit('a');
    const { service, counter } = setup([a]);
    for (const key of ['203.0.113.9', '203.0.113.9', 'other'])
      await service.consume({ accountSid: account, destination: '+1', limits: [{ name: 'a', key }] });
    const [first, second, third] = counter.counted.map((c) => c.scope);
    expect(first).toBe(second);
    expect(third).not.toBe(first);
    expect(first).not.toContain('203.0.113.9');
  });
});

describe('LimitDefinitions (the cache in front of the repository)', () => {
  it('reads an account once, then again as soon as a change bumped its version', async () => {
    const { definitions, repository } = setup([limit('a')]);
    await definitions.resolve(account, ['a']);
    await definitions.resolve(account, ['a']);
    expect(repository.reads).toBe(1);
    repository.rows = [limit('a', 9)];
    await definitions.change(account, async () => undefined);
    expect((await definitions.resolve(account, ['a']))[0].buckets[0].max).toBe(9);
    expect(repository.reads).toBe(2);
  });

  it('re-reads an entry older than 30 s even without a change', async () => {
    const { definitions, repository, clock } = setup([limit('a')]);
    await definitions.resolve(account, ['a']);
    clock.advance(31);
    await definitions.resolve(account, ['a']);
    expect(repository.reads).toBe(2);
  });

  it('remembers that a name does not exist, until the version changes', async () => {
    const { definitions, repository } = setup([]);
    for (let i = 0; i < 2; i++)
      expect((await codeOf(definitions.resolve(account, ['x']))).code).toBe(ErrorCode.UnknownLimitName);
    expect(repository.reads).toBe(1);
    repository.rows = [limit('x')];
    await definitions.change(account, async () => undefined);
    expect(await definitions.resolve(account, ['x'])).toHaveLength(1);
  });
});
