import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  type CommandInput,
  type CommandReplies,
  type CommandReply,
  type CommandSubject,
  isErrorReply,
  withPrefix,
} from '@app/contracts';
import { headers, type NatsConnection } from 'nats';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { domainErrorFromReply, unavailable } from '../errors';
import { currentRequestId, REQUEST_ID_HEADER } from '../logging/request-context';
import { decodeJson, encodeJson } from './codec';
import { NATS_CONNECTION } from './nats.tokens';

/** Typed request-reply over the contract's command map. */
@Injectable()
export class NatsRpcClient {
  private readonly logger = new Logger(NatsRpcClient.name);

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Sends a command and returns its reply. When nobody answers (no responders, time-out,
   * NATS unreachable) the reply is a 503, never an exception. `optional` is for subjects that
   * may have no service behind them (a channel not deployed): no warning then.
   */
  async request<S extends CommandSubject>(
    subject: S,
    payload: CommandInput<S>,
    options: { optional?: boolean } = {},
  ): Promise<CommandReply<S>> {
    const h = headers();
    const requestId = currentRequestId();
    if (requestId) h.set(REQUEST_ID_HEADER, requestId);
    try {
      const msg = await this.nc.request(withPrefix(this.config.nats.prefix, subject), encodeJson(payload), {
        timeout: this.config.nats.requestTimeoutMs,
        headers: h,
      });
      const reply = decodeJson(msg.data) as CommandReply<S> | undefined;
      if (!reply || typeof reply !== 'object' || typeof (reply as { code?: unknown }).code !== 'number') {
        this.logger.error(`malformed reply on ${subject}`);
        return { code: 500, message: 'Internal error' };
      }
      return reply;
    } catch (error) {
      if (!options.optional) this.logger.warn(`${subject} got no answer: ${(error as Error).message}`);
      return unavailable();
    }
  }

  /** Like {@link request}, but an error reply is thrown on as a domain error. */
  async call<S extends CommandSubject>(subject: S, payload: CommandInput<S>): Promise<CommandReplies[S]> {
    const reply = await this.request(subject, payload);
    if (isErrorReply(reply)) throw domainErrorFromReply(reply);
    return reply as CommandReplies[S];
  }
}
