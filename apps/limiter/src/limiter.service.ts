import { Inject, Injectable } from '@nestjs/common';
import { type ConsumeLimitsCommand, type ConsumeLimitsReply, DomainError, ErrorCode } from '@app/contracts';
import { APP_CONFIG, type AppConfig } from '@app/platform';
import { FraudGuard } from './fraud/fraud-guard.service';
import { BucketCounter, type Consumed, digest } from './limits/bucket-counter';
import { LimitDefinitions } from './limits/limit-definitions';

/** Counts operations against limits (SPEC section 6). */
@Injectable()
export class LimiterService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly definitions: LimitDefinitions,
    private readonly counter: BucketCounter,
    private readonly guard: FraudGuard,
  ) {}

  /**
   * Named limits in the order given: each one counts in all its buckets or refuses (454);
   * checking stops at the first that refuses, so the limits before it have counted the
   * operation and the ones after have not. Every name is resolved before anything counts, so
   * an unknown one (495) counts nothing. Without limits, the default limit applies.
   *
   * With `fraud`, the fraud guard decides first (SPEC 12): its refusal (456) counts nothing
   * against the limits; its verdict otherwise rides on the reply.
   */
  async consume(command: ConsumeLimitsCommand): Promise<ConsumeLimitsReply> {
    const fraud = await this.guard.check(command);
    const reply = await this.consumeLimits(command);
    return fraud ? { ...reply, fraud } : reply;
  }

  private async consumeLimits(command: ConsumeLimitsCommand): Promise<ConsumeLimitsReply> {
    if (!command.limits?.length) return this.consumeDefault(command.accountSid, command.destination);
    const limits = await this.definitions.resolve(
      command.accountSid,
      command.limits.map((ref) => ref.name),
    );
    let tightest: Extract<Consumed, { allowed: true }> | undefined;
    for (const [i, limit] of limits.entries()) {
      const result = await this.counter.consume(`${limit.sid}:${digest(command.limits[i].key)}`, limit.buckets);
      if (!result.allowed)
        throw new DomainError(ErrorCode.LimitExceeded, limit.name, { retryAfter: seconds(result.waitMs) });
      if (!tightest || result.remaining < tightest.remaining) tightest = result;
    }
    return reply(tightest!);
  }

  /** The default limit: `max` per `interval` per account and destination (453). */
  private async consumeDefault(accountSid: string, destination: string): Promise<ConsumeLimitsReply> {
    const { max, intervalSeconds } = this.config.defaultLimit;
    // The destination is hashed so that no phone number or address sits in Redis keys.
    const result = await this.counter.consume(`default:${accountSid}:${digest(destination)}`, [
      { name: 'default', max, interval: intervalSeconds },
    ]);
    if (!result.allowed)
      throw new DomainError(ErrorCode.TooManyRequestsToDestination, undefined, { retryAfter: seconds(result.waitMs) });
    return reply(result);
  }
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

function reply(result: Extract<Consumed, { allowed: true }>): ConsumeLimitsReply {
  return { code: 200, message: 'OK', remaining: result.remaining, resetIn: seconds(result.resetMs), limit: result.max };
}
