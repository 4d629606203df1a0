import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  type ConsumeLimitsCommand,
  DomainError,
  ErrorCode,
  type FraudReason,
  type FraudVerdict,
  type GuardedChannel,
  phoneFacts,
} from '@app/contracts';
import { APP_CONFIG, type AppConfig, Clock } from '@app/platform';
import { Counter } from 'prom-client';
import { FRAUD_LEVELS } from './fraud-levels';
import { FraudPolicies, type FraudPolicy, type VersionedPolicy } from './fraud-policies';
import { ANY_VERSION, type FraudScope, FraudStore } from './fraud-store';

/**
 * Script runs of one decision that compare the settings version. The last one does not: it
 * decides with the settings just re-read, and a change made yet again meanwhile applies from the
 * next send on, as a change made while a send is being decided always has.
 */
const MAX_RUNS = 3;

/** Number types never sent a code by sms or call (SPEC 12). */
const REFUSED_TYPES = new Set(['PREMIUM_RATE', 'SHARED_COST', 'TOLL_FREE', 'PAGER', 'VOICEMAIL']);

const decisions = new Counter({
  name: 'fraud_decisions_total',
  help: 'Fraud guard decisions on sms and call sends, by outcome and reason',
  labelNames: ['decision', 'reason'],
});

/** What the guard needs to know of a destination: its country, its type, its scopes. */
export interface Destination {
  countryCode: string | undefined;
  refusedType: boolean;
  scopes: FraudScope[];
}

/** Country and number type by libphonenumber's full metadata; the prefixes the rules count in. */
export function destinationOf(to: string, recipientIp?: string | null, withType = true): Destination {
  const parsed = phoneFacts(to);
  const countryCode = parsed.country;
  const type = withType ? parsed.type : undefined;
  const scopes: FraudScope[] = [
    { kind: 'prefix4', label: to.slice(0, -4) },
    { kind: 'prefix6', label: to.slice(0, -6) },
    { kind: 'country', label: countryCode ?? `+${parsed.countryCallingCode ?? '?'}` },
  ];
  if (recipientIp) scopes.push({ kind: 'ip', label: recipientIp });
  return { countryCode, refusedType: type !== undefined && REFUSED_TYPES.has(type), scopes };
}

/**
 * The fraud guard in the send path (SPEC 12), run by the limiter before the limits count:
 * bypass → safe list → active blocks → geo permission → number type → adaptive velocity →
 * conversion. Refuses with 456 in `block` mode; in `monitor` mode decides and records the same
 * and lets the send go. Fails open: when its store is out of reach the send goes out
 * `unevaluated` (a static refusal — geo permission, number type — still holds).
 */
@Injectable()
export class FraudGuard {
  private readonly logger = new Logger(FraudGuard.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly policies: FraudPolicies,
    private readonly store: FraudStore,
    private readonly clock: Clock,
  ) {}

  /**
   * The verdict on a send; throws 456 when it is refused. Undefined when the guard is off.
   *
   * Decided with the cached policy in one script, which also compares the policy's version with
   * the stored one: when another replica changed the settings, the script answers stale having
   * counted nothing, and the whole check runs again on the settings re-read (the safe list,
   * bypass, geo permission, mode and level all come from them). A verdict reached without the
   * script (bypassed, safe-listed) reads the version first instead.
   */
  async check(command: ConsumeLimitsCommand): Promise<FraudVerdict | undefined> {
    const check = command.fraud;
    if (!check || !this.config.fraud.enabled) return undefined;
    const now = this.clock.now().getTime();
    let current: VersionedPolicy;
    try {
      current = await this.policies.cached(command.accountSid);
    } catch (error) {
      return this.unevaluated(error);
    }
    const to = command.destination;
    let confirmed = false;
    let destination: Destination | undefined;
    for (let runs = 1; ;) {
      const { policy } = current;
      const skipped =
        check.riskCheck === false && policy.allowBypass
          ? 'bypassed'
          : policy.safeNumbers.has(to) || policy.safePrefixes.some((p) => to.startsWith(p))
            ? 'safe_listed'
            : undefined;
      if (skipped) {
        if (confirmed) return this.verdict({ decision: skipped });
        try {
          current = await this.policies.checked(command.accountSid);
        } catch (error) {
          return this.unevaluated(error);
        }
        confirmed = true;
        continue;
      }

      destination ??= destinationOf(to, check.recipientIp);
      const staticReason = this.staticReason(policy, destination, check.channel);
      let decided;
      try {
        decided = await this.store.decide(
          command.accountSid,
          destination.scopes,
          staticReason,
          FRAUD_LEVELS[policy.level],
          now,
          runs++ < MAX_RUNS ? current.version : ANY_VERSION,
        );
      } catch (error) {
        if (staticReason) return this.refuse(policy, staticReason, 0, now);
        return this.unevaluated(error);
      }
      if ('stale' in decided) {
        try {
          current = await this.policies.reload(command.accountSid, decided.version);
        } catch (error) {
          return this.unevaluated(error);
        }
        confirmed = true;
        continue;
      }
      if (decided.counted) return this.verdict({ decision: 'allowed' });
      return this.refuse(policy, decided.reason, decided.untilMs, now);
    }
  }

  /**
   * A verified send (from its `verified` event): drains the pressure of its scopes and counts as
   * recent verified traffic there. A verify older than the guard's memory (a replay) says
   * nothing about the present: skipped. The level comes from the cached policy, its version
   * compared by the script (or read first, when the verify is skipped), as for a send.
   */
  async recordVerified(v: {
    accountSid: string;
    to: string;
    recipientIp?: string | null;
    createdAt: Date;
    verifiedAt: Date;
  }): Promise<void> {
    if (!this.config.fraud.enabled) return;
    const now = this.clock.now().getTime();
    let current = await this.policies.cached(v.accountSid);
    let confirmed = false;
    let scopes: FraudScope[] | undefined;
    for (let runs = 1; ;) {
      const thresholds = FRAUD_LEVELS[current.policy.level];
      if (now - v.verifiedAt.getTime() > thresholds.tauVMs * 4) {
        if (confirmed) return;
        current = await this.policies.checked(v.accountSid);
        confirmed = true;
        continue;
      }
      scopes ??= destinationOf(v.to, v.recipientIp, false).scopes;
      const version = runs++ < MAX_RUNS ? current.version : ANY_VERSION;
      const stale = await this.store.verified(v.accountSid, scopes, v.createdAt.getTime(), thresholds, now, version);
      if (!stale) return;
      current = await this.policies.reload(v.accountSid, stale.version);
      confirmed = true;
    }
  }

  /** Geo permission, then number type: refusals that need no counter. */
  private staticReason(policy: FraudPolicy, d: Destination, channel: GuardedChannel): FraudReason | undefined {
    if (this.policies.permission(policy, d.countryCode, channel) === 'block') return 'geo_permission';
    if (d.refusedType) return 'number_type';
    return undefined;
  }

  private refuse(policy: FraudPolicy, reason: FraudReason, untilMs: number, now: number): FraudVerdict {
    if (policy.mode === 'monitor') return this.verdict({ decision: 'monitor_blocked', reasons: [reason] });
    decisions.inc({ decision: 'blocked', reason });
    throw new DomainError(ErrorCode.FraudBlocked, reason, {
      reason,
      retryAfter: untilMs > now ? Math.max(1, Math.ceil((untilMs - now) / 1000)) : undefined,
    });
  }

  private unevaluated(error: unknown): FraudVerdict {
    this.logger.warn({ message: 'fraud guard unevaluated (failing open)', error: (error as Error).message });
    return this.verdict({ decision: 'unevaluated' });
  }

  private verdict(v: FraudVerdict): FraudVerdict {
    decisions.inc({ decision: v.decision, reason: v.reasons?.[0] ?? '' });
    return v;
  }
}
