import { headers as natsHeaders, type NatsConnection } from 'nats';
import {
  CATALOG_HTTP_STATUS,
  COMMAND_SUBJECTS,
  type components,
  OUTCOME_MATTERS_SUBJECTS,
  type operations,
} from './generated/commands';
import { Smart2faError } from './index';

/**
 * A typed client of the NATS commands, for internal services (docs/asyncapi.yaml, README "NATS
 * contract"). Every subject, payload and reply type is generated from the command map of
 * libs/contracts (`src/generated/commands.ts`, by `npm run build`): nothing is restated here.
 * An error reply is thrown as the same {@link Smart2faError} the HTTP client throws, with the
 * catalog code (and the HTTP status the gateway would answer it with).
 */

type Commands = operations;
/** A request-reply subject of the command map (`otp.v1.send`, `limiter.v1.consume`, …). */
export type CommandSubject = (typeof COMMAND_SUBJECTS)[number] & keyof Commands;
/** What a caller sends on `S` (before defaults: optional fields may be left out). */
export type CommandInput<S extends CommandSubject> = Commands[S]['requestBody']['content']['application/json'];
/** The success reply on `S`. */
export type CommandResult<S extends CommandSubject> = Commands[S]['responses'][200]['content']['application/json'];
/** Every failure reply: `code` is a catalog code. */
export type CommandErrorReply = components['schemas']['ErrorReply'];

export interface Smart2faNatsOptions {
  /** The deployment's `NATS_PREFIX`: every subject is put under it (`acme.otp.v1.send`). */
  prefix?: string;
  /** How long to wait for a reply (default 5 s). */
  timeoutMs?: number;
}

export interface CommandOptions {
  /** Sent as `x-request-id`: it names every log line and event of the work it causes. */
  requestId?: string;
  timeoutMs?: number;
}

/** Subjects whose effect may have happened when no reply came: their time-out is 457, not 503. */
const OUTCOME_MATTERS: ReadonlySet<string> = new Set(OUTCOME_MATTERS_SUBJECTS);

type Camel<S extends string> = S extends `${infer A}.${infer B}` ? `${A}${Capitalize<Camel<B>>}` : S;
type GroupOf<S extends string> = S extends `${infer G}.v1.${string}` ? G : never;
type MethodOf<S extends string> = S extends `${string}.v1.${infer M}` ? Camel<M> : never;

/**
 * The commands grouped by service, one method per subject: `otp.send` is `otp.v1.send`,
 * `limiter.consume` is `limiter.v1.consume`, `dev.outboxSms` is `dev.v1.outbox.sms`.
 */
export type CommandGroups = {
  [G in GroupOf<CommandSubject>]: {
    [S in CommandSubject as S extends `${G}.v1.${string}` ? MethodOf<S> : never]: (
      payload: CommandInput<S>,
      options?: CommandOptions,
    ) => Promise<CommandResult<S>>;
  };
};

/**
 * ```ts
 * const nats = smart2faNats(await connect({ servers: 'nats://localhost:4222' }));
 * const { requestID } = await nats.otp.send({ accountSid, service: 'login', from: 'Acme', to, body: 'Code: {code}' });
 * ```
 */
export class Smart2faNats {
  private readonly prefix: string;
  private readonly timeoutMs: number;

  constructor(
    private readonly nc: NatsConnection,
    options: Smart2faNatsOptions = {},
  ) {
    this.prefix = options.prefix ?? '';
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  /**
   * Sends a command and returns its success reply; an error reply is thrown as a
   * {@link Smart2faError}. Nobody serving the subject is a 503 (nothing was done); no reply in
   * time is a 457 for a command that changes something (it may have been done), else a 503.
   */
  async request<S extends CommandSubject>(
    subject: S,
    payload: CommandInput<S>,
    options: CommandOptions = {},
  ): Promise<CommandResult<S>> {
    const h = natsHeaders();
    if (options.requestId) h.set('x-request-id', options.requestId);
    let data: Uint8Array;
    try {
      const msg = await this.nc.request(
        this.prefix ? `${this.prefix}.${subject}` : subject,
        new TextEncoder().encode(JSON.stringify(payload)),
        { timeout: options.timeoutMs ?? this.timeoutMs, headers: h },
      );
      data = msg.data;
    } catch (error) {
      const timedOut = (error as { code?: string }).code === 'TIMEOUT';
      const code = timedOut && OUTCOME_MATTERS.has(subject) ? 457 : 503;
      const message = code === 457 ? 'Outcome unknown' : 'Service unavailable';
      throw errorOf({ code, message: `${message}: ${(error as Error).message}` } as CommandErrorReply);
    }
    const reply = JSON.parse(new TextDecoder().decode(data)) as CommandResult<S> | CommandErrorReply;
    if ((reply as { code: number }).code === 200) return reply as CommandResult<S>;
    throw errorOf(reply as CommandErrorReply);
  }
}

function errorOf(reply: CommandErrorReply): Smart2faError {
  return new Smart2faError(
    CATALOG_HTTP_STATUS[reply.code] ?? 500,
    { ...reply, requestID: reply.requestID ?? null },
    reply.retryAfter,
  );
}

/** A {@link Smart2faNats} with one method per subject ({@link CommandGroups}) besides `request`. */
export type Smart2faNatsClient = Smart2faNats & CommandGroups;

export function smart2faNats(nc: NatsConnection, options: Smart2faNatsOptions = {}): Smart2faNatsClient {
  const client = new Smart2faNats(nc, options);
  const groups: Record<string, Record<string, unknown>> = {};
  for (const subject of COMMAND_SUBJECTS) {
    const [group, , ...rest] = subject.split('.');
    const method = rest.map((part, i) => (i === 0 ? part : part[0].toUpperCase() + part.slice(1))).join('');
    (groups[group] ??= {})[method] = (payload: never, options?: CommandOptions) =>
      client.request(subject, payload, options);
  }
  return Object.assign(client, groups) as unknown as Smart2faNatsClient;
}
