import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import {
  type CommandInput,
  type CommandReplies,
  type CommandReply,
  type CommandSubject,
  type ErrorReply,
  ErrorCode,
  catalogMessage,
  isErrorReply,
  OUTCOME_MATTERS as OUTCOME_MATTERS_LIST,
  withPrefix,
} from '@app/contracts';
import { ErrorCode as NatsErrorCode, Events, headers, type NatsConnection, type NatsError } from 'nats';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { domainErrorFromReply, unavailable } from '../errors';
import { currentRequestId, REQUEST_ID_HEADER } from '../logging/request-context';
import { decodeJson, encodeJson } from './codec';
import { localHandler } from './local-commands';
import { NATS_CONNECTION } from './nats.tokens';

/** See {@link OUTCOME_MATTERS_LIST} (libs/contracts command-map.ts). */
const OUTCOME_MATTERS: ReadonlySet<CommandSubject> = new Set(OUTCOME_MATTERS_LIST);

/**
 * Typed request-reply over the contract's command map, honest about what a missing answer
 * means. While the connection is down, a command is not sent at all and answers 503 at once
 * (it never left: nothing was done), rather than waiting for the time-out; no responders is
 * a 503 at once too. A time-out after the command left is an unknown outcome for the commands
 * of {@link OUTCOME_MATTERS} (457), a 503 for the others.
 *
 * A command this process serves itself on the same connection (the all-in-one) is answered in
 * place, by the server's own validation and handler, with the same time-out and the same
 * answers when NATS is down (the service's events and dispatches go through NATS all the same).
 */
@Injectable()
export class NatsRpcClient implements OnModuleDestroy {
  private readonly logger = new Logger(NatsRpcClient.name);
  private connected = true;
  private watching = true;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    void this.watch();
  }

  onModuleDestroy(): void {
    this.watching = false;
  }

  /** Follows the connection: a disconnect is known as it happens, not after a time-out. */
  private async watch(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (!this.watching) break;
      if (status.type === Events.Disconnect) this.connected = false;
      if (status.type === Events.Reconnect) this.connected = true;
    }
  }

  /** Whether a command sent now can reach a service (not while reconnecting, not once closed). */
  get reachable(): boolean {
    return this.connected && !this.nc.isClosed() && !this.nc.isDraining();
  }

  /**
   * Sends a command and returns its reply. When nobody answers the reply is an error, never
   * an exception: 503 when nothing was done (not connected, no responders), 457 when the
   * command left and no answer came in time (see {@link OUTCOME_MATTERS}). `optional` is for
   * subjects that may have no service behind them (a channel not deployed): no warning then.
   */
  async request<S extends CommandSubject>(
    subject: S,
    payload: CommandInput<S>,
    options: { optional?: boolean } = {},
  ): Promise<CommandReply<S>> {
    if (!this.reachable) {
      if (!options.optional) this.logger.warn(`${subject} not sent: NATS is not connected`);
      return unavailable();
    }
    const local = localHandler(this.nc, subject);
    if (local) return this.answeredInPlace(subject, local(payload) as Promise<CommandReply<S>>);
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
        return { code: ErrorCode.Internal, message: 'Internal error' };
      }
      return reply;
    } catch (error) {
      if (!options.optional) this.logger.warn(`${subject} got no answer: ${(error as Error).message}`);
      const code = (error as NatsError).code;
      if (code === NatsErrorCode.Timeout && OUTCOME_MATTERS.has(subject)) return outcomeUnknown(this.config);
      return unavailable();
    }
  }

  /**
   * Hands on a payload nobody has checked yet (an HTTP body, with the acting account the
   * gateway resolved) to the service behind `subject`, which validates it on receipt against
   * `COMMAND_SCHEMAS[subject]` and answers a 400 naming the offending field. This is the one
   * untyped way in: code that builds a command itself uses {@link request}, whose payload type
   * stays strict.
   */
  forward<S extends CommandSubject>(
    subject: S,
    payload: Record<string, unknown>,
    options: { optional?: boolean } = {},
  ): Promise<CommandReply<S>> {
    return this.request(subject, payload as CommandInput<S>, options);
  }

  /** A command answered in this process, bounded by the request time-out as over NATS. */
  private async answeredInPlace<S extends CommandSubject>(
    subject: S,
    answer: Promise<CommandReply<S>>,
  ): Promise<CommandReply<S>> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.config.nats.requestTimeoutMs);
    });
    try {
      const reply = await Promise.race([answer, timeout]);
      if (reply !== 'timeout') return reply;
      this.logger.warn(`${subject} got no answer in time`);
      return OUTCOME_MATTERS.has(subject) ? outcomeUnknown(this.config) : unavailable();
    } finally {
      clearTimeout(timer);
    }
  }

  /** Like {@link request}, but an error reply is thrown on as a domain error. */
  async call<S extends CommandSubject>(subject: S, payload: CommandInput<S>): Promise<CommandReplies[S]> {
    const reply = await this.request(subject, payload);
    if (isErrorReply(reply)) throw domainErrorFromReply(reply);
    return reply as CommandReplies[S];
  }
}

/**
 * The command left and may have been carried out. Retry-After gives the one in progress time to
 * finish (the time-out once more), so that a retry with the same key finds its result.
 */
function outcomeUnknown(config: AppConfig): ErrorReply {
  return {
    code: ErrorCode.OutcomeUnknown,
    message: catalogMessage(ErrorCode.OutcomeUnknown),
    retryAfter: Math.max(1, Math.ceil(config.nats.requestTimeoutMs / 1000)),
  };
}
