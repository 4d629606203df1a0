import { DomainError, ErrorCode, type FraudMode, type FraudReason } from '@app/contracts';
import { type AppConfig, ManualClock, type RedisClient } from '@app/platform';
import { FraudGuard } from '../fraud-guard.service';
import type { FraudPolicies, FraudPolicy } from '../fraud-policies';
import { FraudStore } from '../fraud-store';
import { type Country, countries, hourlyRate, prefixesOf, Rng, verifyDelay, Weighted } from './traffic-model';

/**
 * `npm run simulate:fraud` (README "Fraud guard"): the guard's real decision path — FraudGuard
 * with its Lua scripts on a real Redis — driven by a seeded traffic model on an injected clock.
 * Only the account settings are supplied in memory (one policy per run: `block` or `monitor`,
 * the given level, no geo permissions, no safe list).
 */

export interface SimulationOptions {
  seed: number;
  /** Days of legitimate history before the attack day. */
  historyDays: number;
  /** Mean legitimate sends per hour. */
  perHour: number;
  /** Events decided per Redis round trip (1: one at a time). */
  batch: number;
  level: FraudPolicy['level'];
  mode: FraudMode;
  /** Record every send's decision (to compare two runs). */
  onDecision?: (index: number, refused: boolean) => void;
  progress?: (line: string) => void;
  /** Print every decision on sends of this kind (`A`, `B`, `legit`…), to see a rule at work. */
  trace?: string;
}

type Kind = 'legit' | 'A' | 'B' | 'C' | 'cold' | 'hop' | 'launch' | 'cluster';

interface Send {
  index: number;
  t: number;
  account: string;
  to: string;
  ip: string;
  kind: Kind;
  /** Whether the person types the code in (if the code is sent), and when. */
  verifyAt: number | null;
  /** Legitimate sends in a scope an attack hits. */
  inAttackedScope: boolean;
  decided?: { refused: boolean; reason?: string };
}

type SimEvent = { t: number; seq: number } & ({ type: 'send'; send: Send } | { type: 'verify'; send: Send });

/** A binary min-heap on (t, seq). */
class EventQueue {
  private readonly heap: SimEvent[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(event: Omit<SimEvent, 'seq'>): void {
    const e = { ...event, seq: this.seq++ } as SimEvent;
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (before(h[p], h[i])) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }

  peek(): SimEvent | undefined {
    return this.heap[0];
  }

  pop(): SimEvent | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.t < b.t || (a.t === b.t && a.seq < b.seq);
}

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** Codes are valid 5 minutes: a later verify cannot happen. */
const CODE_VALIDITY = 300 * SEC;

export interface AttackFigures {
  sends: number;
  letThrough: number;
  blockedShare: number;
  /** Seconds from the attack's first send to its first refusal; null if never refused. */
  timeToBlock: number | null;
}

export interface SimulationResult {
  attacks: Record<'A' | 'B' | 'C' | 'cold' | 'hop', AttackFigures>;
  launch: { sends: number; verified: number; refused: number };
  cluster: { sends: number; refused: number };
  legit: { sends: number; refusedOutside: number; refusedInside: number; insideSends: number };
  reasons: Record<string, number>;
  refusals: number;
  decisions: number;
  /** Verifies counted for a send that turned out refused (batching's only approximation). */
  speculationMisses: number;
  seconds: number;
}

export async function simulate(redis: RedisClient, config: AppConfig, o: SimulationOptions): Promise<SimulationResult> {
  const startedAt = Date.now();
  const rng = new Rng(o.seed);
  const world = countries(rng);
  const byCode = new Map(world.map((c) => [c.code, c]));
  const countryPick = new Weighted(world.map((c) => c.weight));
  const T0 = Date.UTC(2026, 0, 5);
  const attackDay = T0 + o.historyDays * DAY;
  const end = attackDay + DAY;

  const main = 'AC' + 'a'.repeat(32);
  const launchAccount = 'AC' + 'b'.repeat(32);
  const coldAccount = 'AC' + 'c'.repeat(32);
  const hopAccount = 'AC' + 'd'.repeat(32);

  // Attack targets: the least-used prefix of a high-cost country; KG's prefixes and more.
  const uz = byCode.get('UZ')!;
  const lk = byCode.get('LK')!;
  const us = byCode.get('US')!;
  const kg = byCode.get('KG')!;
  const targetA = uz.prefixes[uz.prefixes.length - 1];
  const targetCold = uz.prefixes[uz.prefixes.length - 2];
  const targetC = lk.prefixes[lk.prefixes.length - 1];
  const targetCluster = us.prefixes[us.prefixes.length - 1];
  const kgPrefixes = [...kg.prefixes];
  const extra = new Set(kgPrefixes);
  // KG numbers the attacker uses: its legitimate prefixes and more of the same ranges.
  for (const p of prefixesOf('KG', 80, new Rng(o.seed + 1))) {
    if (kgPrefixes.length >= 40) break;
    if (extra.has(p)) continue;
    kgPrefixes.push(p);
    extra.add(p);
  }
  const attackedPrefixes = new Set([targetA, targetC]);
  const inAttackedScope = (country: Country, prefix: string) => country.code === 'KG' || attackedPrefixes.has(prefix);

  const clock = new ManualClock(new Date(T0));
  const policy: FraudPolicy = {
    mode: o.mode,
    level: o.level,
    allowBypass: false,
    updatedAt: null,
    geo: new Map(),
    safeNumbers: new Set(),
    safePrefixes: [],
    expiresAtMs: Infinity,
  };
  // No settings change, so no version: the scripts compare '' with the version key they never find.
  const versioned = async () => ({ policy, version: '' });
  const policies = {
    cached: versioned,
    checked: versioned,
    reload: versioned,
    permission: () => 'allow',
  } as unknown as FraudPolicies;
  const store = new FraudStore(redis);
  store.onModuleInit();
  const guard = new FraudGuard(config, policies, store, clock);

  const queue = new EventQueue();
  let index = 0;
  const newSend = (s: Omit<Send, 'index' | 'decided'>): Send => ({ ...s, index: index++ });
  const schedule = (s: Send) => {
    queue.push({ type: 'send', t: s.t, send: s });
    if (s.verifyAt !== null) queue.push({ type: 'verify', t: s.verifyAt, send: s });
  };
  const number = (prefix: string) => `${prefix}${String(rng.int(0, 10_000)).padStart(4, '0')}`;
  /** A person's send: verified with the country's conversion, after a lognormal delay; 5% ask again. */
  const person = (t: number, account: string, country: Country, prefix: string, kind: Kind) => {
    const to = number(prefix);
    const ip = rng.ip();
    const scoped = kind === 'legit' && inAttackedScope(country, prefix);
    const verifies = rng.next() < country.conversion;
    const delay = verifyDelay(rng) * SEC;
    if (rng.next() < 0.05) {
      // No code seen in time: a resend to the same number; only the second can verify.
      const again = t + rng.int(30, 120) * SEC;
      schedule(newSend({ t, account, to, ip, kind, verifyAt: null, inAttackedScope: scoped }));
      const at = again + delay;
      schedule(
        newSend({
          t: again,
          account,
          to,
          ip,
          kind,
          verifyAt: verifies && delay < CODE_VALIDITY ? at : null,
          inAttackedScope: scoped,
        }),
      );
      return;
    }
    schedule(
      newSend({
        t,
        account,
        to,
        ip,
        kind,
        verifyAt: verifies && delay < CODE_VALIDITY ? t + delay : null,
        inAttackedScope: scoped,
      }),
    );
  };

  // Attacks on the attack day: A at 03:00, cold start at 06:00, launch at 10:00, the cluster
  // at 12:00, C at 15:00 within a 2x legitimate spike (14:00-17:00), B all day, and from 18:00
  // an attacker hopping prefixes (on an account of its own): 10 sends at 1/s to one KE prefix,
  // then the next prefix 10 minutes later, 24 prefixes in 4 hours (slow enough for the
  // country's velocity; the prefixes it gets blocked block the country).
  const spike = (t: number) => t >= attackDay + 14 * HOUR && t < attackDay + 17 * HOUR;
  const sequential = (start: number, account: string, prefix: string, kind: Kind) => {
    let n = rng.int(0, 7000);
    for (let i = 0; i < 2000; i++) {
      const to = `${prefix}${String(n++).padStart(4, '0')}`;
      schedule(
        newSend({ t: start + i * SEC, account, to, ip: rng.ip(), kind, verifyAt: null, inAttackedScope: false }),
      );
    }
  };
  const attacksScheduled = () => {
    sequential(attackDay + 3 * HOUR, main, targetA, 'A');
    sequential(attackDay + 6 * HOUR, coldAccount, targetCold, 'cold');
    sequential(attackDay + 15 * HOUR, main, targetC, 'C');
    prefixesOf('KE', 24, new Rng(o.seed + 2)).forEach((prefix, p) => {
      for (let i = 0; i < 10; i++) {
        const t = attackDay + 18 * HOUR + p * 10 * MIN + i * SEC;
        const to = `${prefix}${String(1000 + i).padStart(4, '0')}`;
        schedule(
          newSend({ t, account: hopAccount, to, ip: rng.ip(), kind: 'hop', verifyAt: null, inAttackedScope: false }),
        );
      }
    });
    for (let h = 0; h < 24; h++) {
      for (let i = 0; i < 20; i++) {
        const t = attackDay + h * HOUR + rng.int(0, HOUR);
        const prefix = kgPrefixes[rng.int(0, kgPrefixes.length)];
        schedule(
          newSend({
            t,
            account: main,
            to: number(prefix),
            ip: rng.ip(),
            kind: 'B',
            verifyAt: null,
            inAttackedScope: false,
          }),
        );
      }
    }
    // A launch: a new account whose first hour has 300 verified sends.
    let launchVerified = 0;
    while (launchVerified < 300) {
      const country = world[countryPick.pick(rng)];
      const prefix = country.prefixes[country.zipf.pick(rng)];
      const t = attackDay + 10 * HOUR + rng.int(0, HOUR - 5 * MIN);
      const delay = verifyDelay(rng) * SEC;
      const verifies = rng.next() < 0.86 && delay < CODE_VALIDITY;
      if (verifies) launchVerified++;
      schedule(
        newSend({
          t,
          account: launchAccount,
          to: number(prefix),
          ip: rng.ip(),
          kind: 'launch',
          verifyAt: verifies ? t + delay : null,
          inAttackedScope: false,
        }),
      );
    }
    // 20 people of one prefix within 10 minutes.
    for (let i = 0; i < 20; i++)
      person(attackDay + 12 * HOUR + rng.int(0, 10 * MIN), main, us, targetCluster, 'cluster');
  };

  const figures = (): AttackFigures => ({ sends: 0, letThrough: 0, blockedShare: 0, timeToBlock: null });
  const result: SimulationResult = {
    attacks: { A: figures(), B: figures(), C: figures(), cold: figures(), hop: figures() },
    launch: { sends: 0, verified: 0, refused: 0 },
    cluster: { sends: 0, refused: 0 },
    legit: { sends: 0, refusedOutside: 0, refusedInside: 0, insideSends: 0 },
    reasons: {},
    refusals: 0,
    decisions: 0,
    speculationMisses: 0,
    seconds: 0,
  };
  const firstSend: Partial<Record<Kind, number>> = {};

  const record = (s: Send, refused: boolean, reason: string | undefined) => {
    s.decided = { refused, reason };
    if (o.trace === s.kind)
      o.progress?.(
        `  ${new Date(s.t).toISOString()} ${s.kind} ${s.to.slice(0, -4)}…  ${refused ? `refused ${reason}` : 'sent'}`,
      );
    result.decisions++;
    o.onDecision?.(s.index, refused);
    if (refused) result.reasons[`${s.kind}:${reason}`] = (result.reasons[`${s.kind}:${reason}`] ?? 0) + 1;
    switch (s.kind) {
      case 'legit':
        result.legit.sends++;
        if (s.inAttackedScope) result.legit.insideSends++;
        if (refused && s.inAttackedScope) result.legit.refusedInside++;
        else if (refused) result.legit.refusedOutside++;
        break;
      case 'launch':
        result.launch.sends++;
        if (refused) result.launch.refused++;
        break;
      case 'cluster':
        result.cluster.sends++;
        if (refused) result.cluster.refused++;
        break;
      default: {
        const a = result.attacks[s.kind];
        firstSend[s.kind] ??= s.t;
        a.sends++;
        if (!refused) a.letThrough++;
        else if (a.timeToBlock === null) a.timeToBlock = (s.t - firstSend[s.kind]!) / SEC;
      }
    }
  };

  // One batch: sends and verifies in time order, issued without waiting (Redis runs them in
  // that order), then their outcomes read.
  let batch: { event: SimEvent; run: Promise<unknown> }[] = [];
  let speculative: Send[] = [];
  const flush = async () => {
    const current = batch;
    batch = [];
    for (const { event, run } of current) {
      const outcome = await run;
      if (event.type !== 'send') continue;
      const decided = outcome as { refused: boolean; reason?: string };
      record(event.send, decided.refused, decided.reason);
    }
    if (o.mode === 'block') result.speculationMisses += speculative.filter((s) => s.decided?.refused).length;
    speculative = [];
  };
  const decide = (s: Send): Promise<{ refused: boolean; reason?: string }> =>
    guard
      .check({ accountSid: s.account, destination: s.to, fraud: { channel: 'sms', recipientIp: s.ip } })
      .then((verdict) => {
        if (verdict?.decision === 'monitor_blocked') return { refused: true, reason: verdict.reasons?.[0] };
        if (verdict?.decision === 'unevaluated') throw new Error('the guard could not reach Redis');
        return { refused: false };
      })
      .catch((error: unknown) => {
        if (error instanceof DomainError && error.code === ErrorCode.FraudBlocked) {
          result.refusals++;
          return { refused: true, reason: error.extra.reason as FraudReason };
        }
        throw error;
      });

  let hourCursor = T0;
  let attacksAdded = false;
  let lastProgress = Date.now();
  for (;;) {
    // Feed the queue an hour ahead of the events being decided.
    while (hourCursor < end && (queue.size === 0 || queue.peek()!.t > hourCursor - HOUR)) {
      if (!attacksAdded && hourCursor >= attackDay) {
        attacksScheduled();
        attacksAdded = true;
      }
      const hour = new Date(hourCursor).getUTCHours();
      for (let m = 0; m < 60; m++) {
        const t0 = hourCursor + m * MIN;
        const rate = hourlyRate(o.perHour, hour + m / 60) * (spike(t0) ? 2 : 1);
        const n = rng.poisson(rate / 60);
        for (let i = 0; i < n; i++) {
          const country = world[countryPick.pick(rng)];
          person(t0 + rng.int(0, MIN), main, country, country.prefixes[country.zipf.pick(rng)], 'legit');
        }
      }
      hourCursor += HOUR;
    }
    const event = queue.pop();
    if (!event) break;
    if (event.type === 'verify') {
      // Only a code that was sent can be typed in. When its send is still in this batch, the
      // verify goes in speculatively (legitimate sends are almost never refused); a refused
      // send whose verify was counted all the same is counted in `speculationMisses`.
      if (!event.send.decided && o.batch > 1) speculative.push(event.send);
      else if (!event.send.decided) await flush();
      if (event.send.decided?.refused && o.mode === 'block') continue;
    }
    clock.set(new Date(event.t));
    const run =
      event.type === 'send'
        ? decide(event.send)
        : guard.recordVerified({
            accountSid: event.send.account,
            to: event.send.to,
            recipientIp: event.send.ip,
            createdAt: new Date(event.send.t),
            verifiedAt: new Date(event.t),
          });
    if (event.type === 'verify' && event.send.kind === 'launch') result.launch.verified++;
    batch.push({ event, run });
    if (batch.length >= o.batch) await flush();
    if (o.progress && Date.now() - lastProgress > 10_000) {
      lastProgress = Date.now();
      o.progress(`  ${new Date(event.t).toISOString().slice(0, 16)}  ${result.decisions} decisions`);
    }
  }
  await flush();
  for (const a of Object.values(result.attacks)) a.blockedShare = a.sends ? 1 - a.letThrough / a.sends : 0;
  result.seconds = (Date.now() - startedAt) / 1000;
  return result;
}
