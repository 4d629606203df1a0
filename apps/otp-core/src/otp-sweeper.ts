import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig, Clock } from '@app/platform';
import { eventData } from './otp-row';
import { FallbackService } from './fallback/fallback.service';
import { OtpRepository } from './otp.repository';
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
    private readonly requests: OtpRepository,
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
      const count = await this.requests.transaction(async (tx) => {
        const { guardEnded, expired } = await tx.endElapsed(now, BATCH);
        const outbox = new OutboxWriter(now);
        for (const r of guardEnded) outbox.event('canceled', { ...eventData(r), reason: 'guard_time_elapsed' });
        for (const r of expired) outbox.event('expired', eventData(r));
        await outbox.flush(tx);
        return guardEnded.length + expired.length;
      });
      ended += count;
      if (count < BATCH) break;
    }
    return ended;
  }
}
