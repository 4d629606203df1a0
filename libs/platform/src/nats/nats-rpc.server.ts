import { Logger } from '@nestjs/common';
import { BaseRpcContext, type CustomTransportStrategy, type MessageHandler, Server } from '@nestjs/microservices';
import {
  COMMAND_SCHEMAS,
  type ErrorReply,
  firstIssue,
  nulCharacterAt,
  isCommandSubject,
  withPrefix,
  ErrorCode,
} from '@app/contracts';
import type { Msg, MsgHdrs, NatsConnection, Subscription } from 'nats';
import { lastValueFrom } from 'rxjs';
import { currentRequestId, REQUEST_ID_HEADER, runWithRequestId } from '../logging/request-context';
import { toErrorReply } from '../errors';
import { decodeJson, encodeJson } from './codec';
import { serveLocally, stopServingLocally } from './local-commands';

/** What a handler can learn about the message besides its payload. */
export class NatsRpcContext extends BaseRpcContext<[subject: string, headers: MsgHdrs | undefined]> {
  get subject(): string {
    return this.args[0];
  }
  get headers(): MsgHdrs | undefined {
    return this.args[1];
  }
}

/**
 * A Nest transport that serves the public NATS contract: every `@MessagePattern(subject)`
 * becomes a queue-group subscription on the prefixed subject, payloads are plain JSON (so any
 * NATS client can call them), validated against the contract schema on receipt, and every
 * failure is answered with a catalog error reply instead of being thrown. A client on the same
 * connection (the all-in-one process) has its commands answered in place, by the same code
 * path, without the trips through the NATS server (see `local-commands.ts`).
 */
export class NatsRpcServer extends Server implements CustomTransportStrategy {
  private readonly subscriptions: Subscription[] = [];
  private readonly servedLocally: string[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  protected override readonly logger = new Logger('NatsRpcServer');

  constructor(
    private readonly connection: () => NatsConnection,
    private readonly prefix: string,
  ) {
    super();
  }

  listen(callback: (...optionalParams: unknown[]) => unknown): void {
    const nc = this.connection();
    for (const [pattern, handler] of this.messageHandlers) {
      if (!isCommandSubject(pattern)) {
        throw new Error(
          `@MessagePattern('${pattern}') names no subject of the contract (libs/contracts command-map.ts)`,
        );
      }
      const subject = withPrefix(this.prefix, pattern);
      // The queue group is the subject itself: every replica of the owning service shares it.
      const subscription = nc.subscribe(subject, {
        queue: subject,
        callback: (err, msg) => {
          if (err) return this.logger.error(`subscription ${pattern} failed: ${err.message}`);
          this.track(this.handle(pattern, handler, msg)).catch((error: Error) =>
            this.logger.error(`answer on ${pattern} not sent: ${error.message}`),
          );
        },
      });
      this.subscriptions.push(subscription);
      serveLocally(nc, pattern, (input) => this.track(this.answerLocally(pattern, handler, input)));
      this.servedLocally.push(pattern);
    }
    callback();
  }

  /** Stops taking commands and waits for the ones in progress to be answered. */
  async close(): Promise<void> {
    const nc = this.connection();
    for (const pattern of this.servedLocally) stopServingLocally(nc, pattern);
    this.servedLocally.length = 0;
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions.length = 0;
    await Promise.allSettled([...this.inFlight]);
  }

  on(): void {
    // No transport events are exposed.
  }

  unwrap<T>(): T {
    return this.connection() as T;
  }

  /** Counts a command in progress until it is answered, so that {@link close} waits for it. */
  private track<T>(work: Promise<T>): Promise<T> {
    const done = work.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
    return work;
  }

  private handle(pattern: string, handler: MessageHandler, msg: Msg): Promise<void> {
    return runWithRequestId(msg.headers?.get(REQUEST_ID_HEADER) || undefined, async () => {
      const reply = await this.answer(pattern, handler, decodeJson(msg.data), msg.subject, msg.headers);
      if (msg.reply) msg.respond(encodeJson(reply));
    });
  }

  /**
   * The same answer as over NATS, to a caller in this process: what it sends and gets back goes
   * through JSON as it would on the wire (no shared objects, no value JSON cannot carry).
   */
  private answerLocally(pattern: string, handler: MessageHandler, payload: unknown): Promise<object> {
    const input = decodeJson(encodeJson(payload));
    return runWithRequestId(currentRequestId(), async () => {
      const reply = await this.answer(pattern, handler, input, withPrefix(this.prefix, pattern), undefined);
      return decodeJson(encodeJson(reply)) as object;
    });
  }

  private async answer(
    pattern: string,
    handler: MessageHandler,
    input: unknown,
    subject: string,
    headers: MsgHdrs | undefined,
  ): Promise<object> {
    if (input === undefined) return invalid('body', 'body is not valid JSON');
    const nul = nulCharacterAt(input);
    if (nul !== undefined) return invalid(nul || 'body', `${nul || 'body'} must not contain the NUL character`);
    const parsed = COMMAND_SCHEMAS[pattern as keyof typeof COMMAND_SCHEMAS].safeParse(input);
    if (!parsed.success) {
      const issue = firstIssue(parsed.error, input);
      return invalid(issue.field, issue.message);
    }
    try {
      const context = new NatsRpcContext([subject, headers]);
      return (await lastValueFrom(this.transformToObservable(await handler(parsed.data, context)))) as object;
    } catch (error) {
      return toErrorReply(error, this.logger);
    }
  }
}

function invalid(field: string, message: string): ErrorReply {
  return { code: ErrorCode.BadRequest, message: `Invalid request: ${message}`, field };
}
