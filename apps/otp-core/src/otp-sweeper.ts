import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig, Clock } from '@app/platform';
import type { DataSource } from 'typeorm';
import { eventData, fromRaw, type OtpRowRaw, RETURNING } from './otp-row';
import { FallbackService } from './fallback/fallback.service';
import { OTP_DATA_SOURCE } from './otp-core.tokens';
import { OutboxRelay } from './outbox/outbox-relay';
import { OutboxWriter } from './outbox/outbox';

const BATCH = 500;

/**
 * Records what time already decided: pending requests past their expiry become `expired`,
 * those past their guard time `canceled`, each with its event. Verify and cancel never wait
 * for it (they judge by the clock); the sweeper makes the stored status and the event stream
 * catch up. The same interval drives the fallback steps whose `after` elapsed. Replicas share
 * the work through `FOR UPDATE SKIP LOCKED`.
 */
@Injectable()
export class OtpSweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OtpSweeper.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    @Inject(OTP_DATA_SOURCE) private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly relay: OutboxRelay,
    private readonly fallback: FallbackService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweep()
        .catch((error: Error) => this.logger.warn(`sweep failed: ${error.message}`))
        .finally(() => (this.running = undefined));
    }, this.config.sweepIntervalMs);
    this.timer.unref();
  }

  /** Before NATS drains: finish or hand back what is in flight. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; returns how many requests it ended (fallback steps it sent are not counted). */
  async sweep(): Promise<number> {
    const ended = await this.endElapsed();
    // After the expiries, so that no step goes out for a request that just expired.
    const steps = await this.fallback.dispatchDue(this.clock.now());
    if (ended || steps) this.relay.kick();
    return ended;
  }

  private async endElapsed(): Promise<number> {
    const now = this.clock.now();
    let ended = 0;
    for (;;) {
      const count = await this.db.transaction(async (manager) => {
        const guardEnded: OtpRowRaw[] = await manager.query(
          `WITH changed AS (UPDATE otp.otp_requests SET status = 'canceled', status_reason = 'guard_time_elapsed', ended_at = guard_until
            WHERE id IN (SELECT id FROM otp.otp_requests WHERE status = 'pending' AND guard_until <= $1
                          ORDER BY guard_until LIMIT $2 FOR UPDATE SKIP LOCKED)
            RETURNING ${RETURNING}) SELECT * FROM changed`,
          [now, BATCH],
        );
        const expired: OtpRowRaw[] = await manager.query(
          `WITH changed AS (UPDATE otp.otp_requests SET status = 'expired', ended_at = expires_at
            WHERE id IN (SELECT id FROM otp.otp_requests WHERE status = 'pending' AND expires_at <= $1
                          ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
            RETURNING ${RETURNING}) SELECT * FROM changed`,
          [now, BATCH],
        );
        const outbox = new OutboxWriter(now);
        for (const r of guardEnded)
          outbox.event('canceled', { ...eventData(fromRaw(r)), reason: 'guard_time_elapsed' });
        for (const r of expired) outbox.event('expired', eventData(fromRaw(r)));
        await outbox.flush(manager);
        return guardEnded.length + expired.length;
      });
      ended += count;
      if (count < BATCH) break;
    }
    return ended;
  }
}
