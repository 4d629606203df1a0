import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  type AnyOtpEvent,
  parseOtpEvent,
  signBody,
  STATUS_CALLBACK_EVENT_ID_HEADER,
  STATUS_CALLBACK_EVENT_TYPE_HEADER,
  SIGNATURE_HEADER,
  Subjects,
} from '@app/contracts';
import {
  APP_CONFIG,
  type AppConfig,
  Clock,
  decodeJson,
  isDependencyOutage,
  type MessageOutcome,
  NATS_CONNECTION,
  OtpEventsConsumer,
  type OtpEventsConsumerOptions,
} from '@app/platform';
import type { JsMsg, NatsConnection } from 'nats';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Counter } from 'prom-client';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';
import { OtpRepository } from '../otp.repository';

const CONCURRENCY = 16;
const RETRY_CAP_MS = 10 * 60 * 1000;

const callbacks = new Counter({
  name: 'otp_status_callbacks_total',
  help: 'Status callback POSTs',
  labelNames: ['outcome'],
});

/**
 * Delivers status callbacks: a durable consumer, shared by the otp-core replicas, of
 * `otp.v1.status_callbacks.*`, where the publishers of the events (otp-core's outbox relay, the
 * dispatchers) put a copy of each event of a request with a `statusCallback` — so the events of
 * the many requests without one cost this consumer nothing. otp-core holds the URL, in its own
 * table. The event is POSTed there, signed (see `signBody`); anything but a 2xx is retried with
 * exponential back-off, up to STATUS_CALLBACK_MAX_ATTEMPTS deliveries. Nothing is acknowledged
 * before the receiver answered 2xx, so a crash loses nothing (the receiver may see an event
 * twice: the event id, also in a header, tells).
 */
@Injectable()
export class StatusCallbackConsumer extends OtpEventsConsumer {
  private readonly logger = new Logger(StatusCallbackConsumer.name);

  constructor(
    @Inject(NATS_CONNECTION) nc: NatsConnection,
    private readonly requests: OtpRepository,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly clock: Clock,
  ) {
    super(nc, config);
  }

  protected options(): OtpEventsConsumerOptions {
    const { maxAttempts, timeoutMs } = this.config.statusCallback;
    return {
      durable: 'otp-core-status-callbacks',
      // Until this version the filter was `otp.v1.events.>`: JetStreamWorker moves the durable.
      filterSubject: Subjects.allStatusCallbackEvents,
      concurrency: CONCURRENCY,
      maxDeliver: maxAttempts,
      ackWaitMs: timeoutMs + 30_000,
    };
  }

  async handle(msg: JsMsg): Promise<MessageOutcome> {
    const event = this.parse(msg);
    if (!event) return { drop: 'invalid event' };
    // The event says the request has no callback: nothing to look up, nothing to send. (No copy
    // of such an event is published; an original the durable had in hand before its filter
    // moved may still be redelivered.)
    if (event.hasStatusCallback === false) return { ack: true };
    let url: string | undefined;
    try {
      url = await this.requests.statusCallbackOf(event.requestId, event.accountSid);
    } catch (error) {
      if (isDependencyOutage(error)) return { unavailable: (error as Error).message };
      this.logger.warn(`status callback lookup failed, retrying: ${(error as Error).message}`);
      return { retryAfterMs: 1000 };
    }
    if (!url) return { ack: true };
    return this.post(url, event, msg.info.redeliveryCount);
  }

  /**
   * The event as it will be POSTed: re-serialised from what the contract validated, so only the
   * contract's fields go out (our own events byte for byte as published).
   */
  private parse(msg: JsMsg):
    | {
        body: string;
        type: string;
        eventId: string;
        requestId: string;
        accountSid: string;
        hasStatusCallback?: boolean;
      }
    | undefined {
    let event: AnyOtpEvent | undefined;
    try {
      event = parseOtpEvent(decodeJson(msg.data));
    } catch {
      return undefined;
    }
    if (!event) return undefined;
    return {
      body: JSON.stringify(event),
      type: event.type,
      eventId: event.metadata.eventId,
      requestId: event.data.requestId,
      accountSid: event.data.accountSid,
      hasStatusCallback: event.data.hasStatusCallback,
    };
  }

  private agents?: ReturnType<typeof filteringAgents>;

  /** One POST: resolves with the status (redirects are not followed), its body discarded. */
  private postOnce(url: string, body: string, timeoutMs: number, headers: Record<string, string>): Promise<number> {
    this.agents ??= filteringAgents(this.config.statusCallback.allowPrivateNetworks);
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const req = (secure ? httpsRequest : httpRequest)(
        target,
        {
          method: 'POST',
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          agent: secure ? this.agents!.https : this.agents!.http,
          signal: AbortSignal.timeout(timeoutMs),
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  private async post(
    url: string,
    event: { body: string; type: string; eventId: string },
    delivery: number,
  ): Promise<MessageOutcome> {
    const { secret, timeoutMs, retryBaseMs } = this.config.statusCallback;
    const t = Math.floor(this.clock.now().getTime() / 1000);
    let problem: string;
    try {
      const status = await this.postOnce(url, event.body, timeoutMs, {
        'content-type': 'application/json',
        'user-agent': 'Smart2FA-StatusCallback/1',
        [SIGNATURE_HEADER]: signBody(secret, event.body, t),
        [STATUS_CALLBACK_EVENT_ID_HEADER]: event.eventId,
        [STATUS_CALLBACK_EVENT_TYPE_HEADER]: event.type,
      });
      if (status >= 200 && status < 300) {
        callbacks.inc({ outcome: 'delivered' });
        return { ack: true };
      }
      problem = `answered ${status}`;
    } catch (error) {
      problem = (error as Error).message;
      // The address the name resolved to is internal: retrying will not make it public.
      if (/is not allowed/.test(problem)) {
        callbacks.inc({ outcome: 'refused' });
        this.logger.warn({
          message: 'status callback refused: internal address (STATUS_CALLBACK_ALLOW_PRIVATE is off)',
          host: hostOf(url),
          eventId: event.eventId,
        });
        return { ack: true };
      }
    }
    callbacks.inc({ outcome: 'retried' });
    // delivery is 1 on the first attempt: base, 2×base, 4×base… up to the cap.
    const retryAfterMs = Math.min(RETRY_CAP_MS, retryBaseMs * 2 ** Math.max(0, delivery - 1));
    // The URL's host only: its path or query may carry the customer's tokens.
    this.logger.warn({
      message: 'status callback failed',
      host: hostOf(url),
      eventId: event.eventId,
      delivery,
      problem,
      retryInMs: retryAfterMs,
    });
    return { retryAfterMs };
  }
}

/**
 * The address filter sits in the connection itself (the agents check the address a name
 * resolved to, at connect time), so a name that resolves to a public address when the send is
 * validated and to an internal one later (DNS rebinding) is still refused.
 */
function filteringAgents(allowPrivate: boolean) {
  const options = { allowPrivateIPAddress: allowPrivate, allowMetaIPAddress: allowPrivate, keepAlive: false };
  return { http: new RequestFilteringHttpAgent(options), https: new RequestFilteringHttpsAgent(options) };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'invalid';
  }
}
