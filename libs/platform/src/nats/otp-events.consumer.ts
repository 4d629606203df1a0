import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { streamName, Streams, withPrefix } from '@app/contracts';
import type { JsMsg, NatsConnection } from 'nats';
import type { AppConfig } from '../config/app-config';
import { ensureStreams, JetStreamWorker, type MessageOutcome } from './jetstream';

/** How a service reads the OTP_EVENTS stream; `filterSubject` without the deployment prefix. */
export interface OtpEventsConsumerOptions {
  durable: string;
  filterSubject: string;
  concurrency: number;
  maxDeliver: number;
  ackWaitMs: number;
}

/**
 * A service's own durable consumer of the OTP_EVENTS stream (`otp.v1.events.*`, and the
 * status-callback copies `otp.v1.status_callbacks.*`), shared by
 * every replica of the service: started once the application is up, stopped before NATS
 * drains (what is in flight finishes or goes back to the stream). Subclasses say which events
 * they take and handle one at a time, idempotently.
 */
export abstract class OtpEventsConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private worker?: JetStreamWorker;

  protected constructor(
    protected readonly nc: NatsConnection,
    protected readonly config: AppConfig,
  ) {}

  protected abstract options(): OtpEventsConsumerOptions;

  abstract handle(msg: JsMsg): Promise<MessageOutcome>;

  async onApplicationBootstrap(): Promise<void> {
    const prefix = this.config.nats.prefix;
    await ensureStreams(await this.nc.jetstreamManager(), prefix, this.config.nats.streamReplicas);
    const { filterSubject, ...options } = this.options();
    this.worker = new JetStreamWorker(this.nc, {
      ...options,
      stream: streamName(prefix, Streams.otpEvents),
      filterSubject: withPrefix(prefix, filterSubject),
      handle: (msg) => this.handle(msg),
    });
    await this.worker.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.worker?.stop();
  }
}
