import { Logger } from '@nestjs/common';
import { DomainError, ErrorCode, type FraudVerdict } from '@app/contracts';
import { type AppConfig, createRedisClient, loadConfig, ManualClock, type RedisClient } from '@app/platform';
import { randomBytes, randomInt } from 'node:crypto';
import { destinationOf, FraudGuard } from '../../apps/limiter/src/fraud/fraud-guard.service';
import { FraudPolicies } from '../../apps/limiter/src/fraud/fraud-policies';
import { blockIdOf, FraudStore, versionKey } from '../../apps/limiter/src/fraud/fraud-store';
import type {
  FraudRepository,
  FraudSettingsRow,
  GeoPermissionRow,
  SafeListRow,
} from '../../apps/limiter/src/fraud/fraud.repository';
import { eventually } from '../support/eventually';
import { RedisCluster } from '../support/redis-cluster';
import { hostPort, serviceUrls } from '../support/services';
import { TcpProxy } from '../support/tcp-proxy';

/**
 * The version of an account's fraud settings, compared inside the guard's scripts (no read of
 * its own per send): a change made through another replica's FraudPolicies applies at this
 * replica's very next send, the stale run counts nothing, and the guard still fails open as it
 * did. The real FraudGuard, FraudPolicies and Lua scripts on a real Redis (a single server and
 * a three-node Cluster), the settings in a repository fake both replicas share.
 */

/** The guard's tables, in memory: what both replicas read, and how often. */
class MemoryRepository {
  reads = 0;
  readonly settingsRows = new Map<string, FraudSettingsRow>();
  readonly geo = new Map<string, GeoPermissionRow[]>();
  readonly safe = new Map<string, SafeListRow[]>();

  async settings(accountSid: string): Promise<FraudSettingsRow | undefined> {
    this.reads++;
    return this.settingsRows.get(accountSid);
  }
  async geoPermissions(accountSid: string): Promise<GeoPermissionRow[]> {
    return this.geo.get(accountSid) ?? [];
  }
  async safeList(accountSid: string, now: Date): Promise<SafeListRow[]> {
    return (this.safe.get(accountSid) ?? []).filter((e) => !e.expiresAt || e.expiresAt > now);
  }
  saveSettings(accountSid: string, change: Partial<FraudSettingsRow>): void {
    const current = this.settingsRows.get(accountSid);
    this.settingsRows.set(accountSid, {
      accountSid,
      mode: 'block',
      level: 'standard',
      allowBypass: false,
      updatedAt: new Date(),
      ...current,
      ...change,
    });
  }
  addSafePrefix(accountSid: string, prefix: string, expiresAt: Date | null = null): void {
    const entry: SafeListRow = {
      id: `FS${randomBytes(16).toString('hex')}`,
      accountSid,
      kind: 'prefix',
      value: prefix,
      description: null,
      createdAt: new Date(),
      expiresAt,
    };
    this.safe.set(accountSid, [...(this.safe.get(accountSid) ?? []), entry]);
  }
}

/** Numbers of one US prefix (the number without its last 4 digits). */
function prefixNumbers(): { prefix: string; next: () => string } {
  const prefix = `+1415${randomInt(200, 999)}`;
  let n = randomInt(0, 5000);
  return { prefix, next: () => `${prefix}${String(n++).padStart(4, '0')}` };
}

const IP = '198.51.100.7';

interface Replica {
  policies: FraudPolicies;
  guard: FraudGuard;
}

function replicaOn(config: AppConfig, redis: RedisClient, repository: MemoryRepository, clock: ManualClock): Replica {
  const store = new FraudStore(redis);
  store.onModuleInit();
  const policies = new FraudPolicies(config, redis, repository as unknown as FraudRepository, clock);
  return { policies, guard: new FraudGuard(config, policies, store, clock) };
}

/** The guard's verdict, or the reason of its 456. */
async function verdictOf(r: Replica, accountSid: string, to: string, riskCheck?: boolean): Promise<string> {
  try {
    const verdict: FraudVerdict | undefined = await r.guard.check({
      accountSid,
      destination: to,
      fraud: { channel: 'sms', recipientIp: IP, riskCheck },
    });
    return verdict!.decision === 'monitor_blocked' ? `monitor_blocked:${verdict!.reasons![0]}` : verdict!.decision;
  } catch (error) {
    if (error instanceof DomainError && error.code === ErrorCode.FraudBlocked) return `blocked:${error.extra.reason}`;
    throw error;
  }
}

/** Everything the guard keeps for a destination's scopes: state and block hashes, the block index. */
async function stateOf(redis: RedisClient, accountSid: string, to: string): Promise<unknown> {
  const { scopes } = destinationOf(to, IP, false);
  const hashes = await Promise.all(
    scopes.flatMap((s) => {
      const hex = blockIdOf(s).slice(2);
      return [redis.hgetall(`fraud:{${accountSid}}:st:${hex}`), redis.hgetall(`fraud:{${accountSid}}:bl:${hex}`)];
    }),
  );
  return { hashes, index: await redis.zrange(`fraud:{${accountSid}}:blocks`, 0, -1, 'WITHSCORES') };
}

const pressureOf = async (redis: RedisClient, accountSid: string, to: string) =>
  Number(
    await redis.hget(
      `fraud:{${accountSid}}:st:${blockIdOf({ kind: 'prefix4', label: to.slice(0, -4) }).slice(2)}`,
      'u',
    ),
  );

const account = () => `AC${randomBytes(16).toString('hex')}`;

// The guard warns of every send it lets through unevaluated; the tests expect them.
beforeAll(() => Logger.overrideLogger(['error']));
afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose']));

describe.each(['standalone', 'cluster'] as const)('the settings version inside the guard scripts, Redis %s', (mode) => {
  let cluster: RedisCluster | undefined;
  let redis: RedisClient;
  let config: AppConfig;
  let repository: MemoryRepository;
  let clock: ManualClock;
  /** This replica, whose cache the tests make stale, and another one that changes the settings. */
  let here: Replica;
  let there: Replica;

  beforeAll(async () => {
    let urls = serviceUrls().redisUrl;
    if (mode === 'cluster') {
      cluster = await new RedisCluster().start();
      urls = cluster.url;
    }
    config = loadConfig({ ...process.env, FRAUD_GUARD: 'true', REDIS_PREFIX: `t${randomBytes(4).toString('hex')}:` });
    redis = createRedisClient(
      { urls: urls.split(','), cluster: mode === 'cluster', prefix: config.fraud.redis.prefix },
      { commandTimeout: 5000 },
    );
    await redis.connect();
  });
  afterAll(async () => {
    await redis?.quit();
    redis?.disconnect();
    await cluster?.stop();
  });
  beforeEach(() => {
    repository = new MemoryRepository();
    clock = new ManualClock(new Date());
    here = replicaOn(config, redis, repository, clock);
    there = replicaOn(config, redis, repository, clock);
  });

  it("applies another replica's change at this replica's very next send; the stale run counted nothing", async () => {
    const acct = account();
    const { prefix, next } = prefixNumbers();
    expect(await verdictOf(here, acct, next())).toBe('allowed');
    const reads = repository.reads;
    const before = await stateOf(redis, acct, next());

    // Safe-listed elsewhere: the next send here is safe-listed, and the guard's state is as it was.
    await there.policies.change(acct, async () => repository.addSafePrefix(acct, prefix));
    expect(await verdictOf(here, acct, next())).toBe('safe_listed');
    expect(await stateOf(redis, acct, next())).toEqual(before);
    expect(repository.reads).toBe(reads + 1); // re-read once, on the stale answer
    expect(await verdictOf(here, acct, next())).toBe('safe_listed');
    expect(repository.reads).toBe(reads + 1);

    // Off the list again, then the country blocked: decided with the settings of the moment.
    await there.policies.change(acct, async () => repository.safe.delete(acct));
    expect(await verdictOf(here, acct, next())).toBe('allowed');
    expect(await pressureOf(redis, acct, next())).toBeCloseTo(2, 3);
    const counted = await stateOf(redis, acct, next());
    await there.policies.change(acct, async () =>
      repository.geo.set(acct, [{ countryCode: 'US', sms: 'block', call: 'allow' }]),
    );
    expect(await verdictOf(here, acct, next())).toBe('blocked:geo_permission');
    await there.policies.change(acct, async () => repository.saveSettings(acct, { mode: 'monitor' }));
    expect(await verdictOf(here, acct, next())).toBe('monitor_blocked:geo_permission');
    expect(await stateOf(redis, acct, next())).toEqual(counted);
  });

  it('decides with the level read again: the stale run added no pressure to the block it trips', async () => {
    const acct = account();
    const { next } = prefixNumbers();
    // `strict` lets 5 sends pass on a cold prefix, `standard` 8.
    for (let i = 0; i < 5; i++) expect(await verdictOf(here, acct, next())).toBe('allowed');
    await there.policies.change(acct, async () => repository.saveSettings(acct, { level: 'strict' }));
    expect(await verdictOf(here, acct, next())).toBe('blocked:prefix_velocity');
    const block = (await redis.hgetall(
      `fraud:{${acct}}:bl:${blockIdOf({ kind: 'prefix4', label: next().slice(0, -4) }).slice(2)}`,
    )) as { counters: string };
    expect(JSON.parse(block.counters)).toMatchObject({ pressure: 5, threshold: 5 });
  });

  it('counts a verify once, with the settings read again after a change elsewhere', async () => {
    const acct = account();
    const { next } = prefixNumbers();
    const to = next();
    expect(await verdictOf(here, acct, to)).toBe('allowed');
    await there.policies.change(acct, async () => repository.saveSettings(acct, { level: 'relaxed' }));
    const reads = repository.reads;
    await here.guard.recordVerified({
      accountSid: acct,
      to,
      recipientIp: IP,
      createdAt: clock.now(),
      verifiedAt: clock.now(),
    });
    expect(repository.reads).toBe(reads + 1);
    const { scopes } = destinationOf(to, IP, false);
    for (const s of scopes) {
      const st = await redis.hgetall(`fraud:{${acct}}:st:${blockIdOf(s).slice(2)}`);
      expect({ kind: s.kind, u: Number(st.u), v: Number(st.v) }).toEqual({ kind: s.kind, u: 0, v: 1 });
    }
  });

  it('reads the version first for a verdict without a script: bypass withdrawn elsewhere is honoured', async () => {
    const acct = account();
    const { next } = prefixNumbers();
    await there.policies.change(acct, async () => repository.saveSettings(acct, { allowBypass: true }));
    expect(await verdictOf(here, acct, next(), false)).toBe('bypassed');
    await there.policies.change(acct, async () => repository.saveSettings(acct, { allowBypass: false }));
    expect(await verdictOf(here, acct, next(), false)).toBe('allowed');
    expect(await pressureOf(redis, acct, next())).toBeCloseTo(1, 3);
  });

  it('still reads the settings again after MAX_AGE_MS, and when a safe-list entry expires', async () => {
    const acct = account();
    const { prefix, next } = prefixNumbers();
    repository.addSafePrefix(acct, prefix, new Date(clock.now().getTime() + 60_000));
    expect(await verdictOf(here, acct, next())).toBe('safe_listed');
    const reads = repository.reads;
    clock.advance(20);
    expect(await verdictOf(here, acct, next())).toBe('safe_listed');
    expect(repository.reads).toBe(reads);
    clock.advance(11); // 31 s: older than MAX_AGE_MS
    expect(await verdictOf(here, acct, next())).toBe('safe_listed');
    expect(repository.reads).toBe(reads + 1);
    clock.advance(30); // the entry expired (61 s), its entry not yet 30 s old
    expect(await verdictOf(here, acct, next())).toBe('allowed');
    expect(repository.reads).toBe(reads + 2);
    expect(await redis.exists(versionKey(acct))).toBe(0);
  });
});

describe('the guard still fails open with the version inside its scripts', () => {
  let proxy: TcpProxy;
  let config: AppConfig;
  let cutOff: RedisClient;
  let direct: RedisClient;
  let repository: MemoryRepository;
  let clock: ManualClock;
  let here: Replica;
  let there: Replica;

  beforeAll(async () => {
    const { redisUrl } = serviceUrls();
    const { host, port } = hostPort(redisUrl, 6379);
    proxy = await new TcpProxy(host, port).start();
    config = loadConfig({
      ...process.env,
      FRAUD_GUARD: 'true',
      FRAUD_DEFAULT_BLOCKED_COUNTRIES: 'CU',
      REDIS_PREFIX: `t${randomBytes(4).toString('hex')}:`,
    });
    const options = { cluster: false, prefix: config.fraud.redis.prefix };
    cutOff = createRedisClient({ ...options, urls: [proxy.url(redisUrl)] }, { commandTimeout: 500 });
    cutOff.on('error', () => undefined);
    direct = createRedisClient({ ...options, urls: [redisUrl] });
    await Promise.all([cutOff.connect(), direct.connect()]);
    repository = new MemoryRepository();
    clock = new ManualClock(new Date());
    here = replicaOn(config, cutOff, repository, clock);
    there = replicaOn(config, direct, repository, clock);
  });
  afterAll(async () => {
    cutOff?.disconnect();
    await direct?.quit();
    await proxy?.stop();
  });

  it('while its store is out of reach: unevaluated, static refusals hold, verifies retry; a change made meanwhile applies once it is back', async () => {
    const acct = account();
    const { prefix, next } = prefixNumbers();
    const to = next();
    expect(await verdictOf(here, acct, to)).toBe('allowed');
    const before = await stateOf(direct, acct, to);

    proxy.cut();
    expect(await verdictOf(here, acct, next())).toBe('unevaluated');
    expect(await verdictOf(here, acct, '+5351234567')).toBe('blocked:geo_permission');
    // An account not cached yet: read from the database, its version unknown.
    expect(await verdictOf(here, account(), next())).toBe('unevaluated');
    // Older than MAX_AGE_MS: read again although the version cannot be compared.
    const reads = repository.reads;
    clock.advance(31);
    expect(await verdictOf(here, acct, next())).toBe('unevaluated');
    expect(repository.reads).toBe(reads + 1);
    await expect(
      here.guard.recordVerified({
        accountSid: acct,
        to,
        recipientIp: IP,
        createdAt: clock.now(),
        verifiedAt: clock.now(),
      }),
    ).rejects.toThrow();
    // Another replica, which reaches the store, safe-lists the prefix meanwhile.
    await there.policies.change(acct, async () => repository.addSafePrefix(acct, prefix));
    expect(await stateOf(direct, acct, to)).toEqual(before);

    proxy.restore();
    await eventually(async () => expect(await verdictOf(here, acct, next())).toBe('safe_listed'), 10_000, 100);
    expect(await stateOf(direct, acct, to)).toEqual(before);
  });
});
