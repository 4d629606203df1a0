import {
  type DevOutboxEntry,
  type DispatchMessage,
  formatTimestamp,
  newId,
  streamName,
  Streams,
  Subjects,
  withPrefix,
} from '@app/contracts';
import { decodeJson, encodeJson, ensureStreams } from '@app/platform';
import { Redis } from 'ioredis';
import type { ConsumerInfo } from 'nats';
import { randomInt, randomUUID } from 'node:crypto';
import { dispatcherSmsService } from '../../apps/dispatcher-sms/src/dispatcher-sms.definition';
import { LogSmsProvider } from '../../apps/dispatcher-sms/src/providers/log/log-sms.provider';
import { type OutgoingSms, SMS_PROVIDER, type SmsProvider } from '../../apps/dispatcher-sms/src/providers/sms-provider';
import { eventually } from '../support/eventually';
import { deliveryStatuses } from '../support/jetstream-helpers';
import { hostPort, serviceUrls } from '../support/services';
import { startStack, type Stack } from '../support/stack';
import { TcpProxy } from '../support/tcp-proxy';

type OutboxReply = { code: number; message: string; data?: DevOutboxEntry[] };

let sequence = randomInt(0, 9000);
/** A destination no other test of the run uses, so an outbox list holds only this test's messages. */
const uniqueNumber = () =>
  `+1415${randomInt(200, 999)}${String((sequence = (sequence + 1) % 10_000)).padStart(4, '0')}`;

/** What the test needs of a running dispatcher: publish like otp-core, read like a developer. */
function driver(stack: Stack) {
  const prefix = stack.config.nats.prefix;
  const stream = streamName(prefix, Streams.dispatch);
  const redis = new Redis(serviceUrls().redisUrl, { keyPrefix: stack.config.redis.prefix });

  const message = (overrides: Partial<DispatchMessage> = {}): DispatchMessage => {
    const requestId = newId('otp');
    const now = stack.clock.now().getTime();
    return {
      dispatchId: `${requestId}-1`,
      requestId,
      accountSid: newId('account'),
      channel: 'sms',
      from: 'ACME',
      to: uniqueNumber(),
      text: `Your code is ${randomInt(100_000, 999_999)}`,
      maskedText: 'Your code is ******',
      expiresAt: new Date(now + 300_000).toISOString(),
      createdAt: new Date(now).toISOString(),
      ...overrides,
    };
  };

  return {
    message,
    redis,
    /** Publishes raw bytes or a message; a fresh msgID unless told, so JetStream's de-duplication lets it through. */
    async publish(payload: DispatchMessage | Uint8Array, msgID: string = randomUUID()): Promise<void> {
      await ensureStreams(await stack.nc.jetstreamManager(), prefix);
      const data = payload instanceof Uint8Array ? payload : encodeJson(payload);
      await stack.nc.jetstream().publish(withPrefix(prefix, Subjects.dispatch('sms')), data, { msgID });
    },
    async outbox(accountSid: string, to: string): Promise<OutboxReply> {
      const msg = await stack.nc.request(
        withPrefix(prefix, Subjects.devOutbox('sms')),
        encodeJson({ accountSid, to }),
        { timeout: 5000 },
      );
      return decodeJson(msg.data) as OutboxReply;
    },
    /** The entries one account can see for a destination, insisting the query itself succeeded. */
    async entries(accountSid: string, to: string): Promise<DevOutboxEntry[]> {
      const reply = await this.outbox(accountSid, to);
      expect(reply).toMatchObject({ code: 200, message: 'OK' });
      return reply.data ?? [];
    },
    consumer(): Promise<ConsumerInfo> {
      return stack.nc.jetstreamManager().then((jsm) => jsm.consumers.info(stream, 'dispatcher-sms'));
    },
    /** Every published message has been handled for good: none waiting, none awaiting an ack or a retry. */
    async settled(timeoutMs?: number): Promise<ConsumerInfo> {
      return eventually(async () => {
        const info = await this.consumer();
        expect({ pending: info.num_pending, ackPending: info.num_ack_pending }).toEqual({ pending: 0, ackPending: 0 });
        return info;
      }, timeoutMs);
    },
    claim(dispatchId: string): Promise<string | null> {
      return redis.get(`dispatch:{${dispatchId}}`);
    },
    close: () => redis.quit(),
  };
}

const entryOf = (m: DispatchMessage, at: Date): DevOutboxEntry => ({
  requestID: m.requestId,
  channel: 'sms',
  from: m.from,
  to: m.to,
  subject: null,
  body: m.text,
  dateCreated: formatTimestamp(at),
});

describe('dispatcher-sms: delivering dispatch.v1.sms', () => {
  let stack: Stack;
  let d: ReturnType<typeof driver>;

  beforeAll(async () => {
    stack = await startStack({ services: [dispatcherSmsService] });
    d = driver(stack);
  });
  afterAll(async () => {
    await d?.close();
    await stack?.stop();
  });

  it('delivers a message, readable in the development outbox with its fields, newest first', async () => {
    const first = d.message();
    await d.publish(first);
    await eventually(async () =>
      expect(await d.entries(first.accountSid, first.to)).toEqual([entryOf(first, stack.clock.now())]),
    );
    expect(await d.claim(first.dispatchId)).toBe('sent');

    const second = d.message({ accountSid: first.accountSid, to: first.to, text: 'Your code is 111222' });
    await d.publish(second);
    await eventually(async () =>
      expect(await d.entries(first.accountSid, first.to)).toEqual([
        entryOf(second, stack.clock.now()),
        entryOf(first, stack.clock.now()),
      ]),
    );
  });

  it('shows a message to the account that sent it and to its parent, not to anyone else', async () => {
    const parent = newId('account');
    const sub = newId('account');
    const to = uniqueNumber();
    const bySub = d.message({ accountSid: sub, parentAccountSid: parent, to });
    const byParent = d.message({ accountSid: parent, to });
    await d.publish(bySub);
    await d.publish(byParent);

    // The parent sees both, which also proves both were delivered before the checks below.
    await eventually(async () =>
      expect((await d.entries(parent, to)).map((e) => e.requestID).sort()).toEqual(
        [bySub.requestId, byParent.requestId].sort(),
      ),
    );
    // The sub-account sees its own, not its parent's; a stranger sees nothing.
    expect((await d.entries(sub, to)).map((e) => e.requestID)).toEqual([bySub.requestId]);
    expect(await d.entries(newId('account'), to)).toEqual([]);
    // Account ids are filtered on, never handed out.
    for (const entry of await d.entries(parent, to))
      expect(Object.keys(entry).sort()).toEqual(Object.keys(entryOf(bySub, new Date())).sort());
  });

  it('delivers a dispatch once when it arrives again under another message id', async () => {
    const m = d.message();
    // Two copies at once: JetStream stores both (different msgIDs), both may be in flight together.
    await Promise.all([d.publish(m), d.publish(m)]);
    await eventually(async () => expect(await d.entries(m.accountSid, m.to)).toHaveLength(1));
    await d.settled();
    expect(await d.entries(m.accountSid, m.to)).toHaveLength(1);

    // A copy after it was sent (a redelivery after a lost ack) is acknowledged, not sent.
    await d.publish(m);
    await d.settled();
    expect(await d.entries(m.accountSid, m.to)).toEqual([entryOf(m, stack.clock.now())]);
    expect(await d.claim(m.dispatchId)).toBe('sent');
  });

  it('drops invalid messages at once, without retrying them or holding up the next', async () => {
    const before = (await d.settled()).delivered.consumer_seq;
    const valid = d.message();
    const invalid: Uint8Array[] = [
      new TextEncoder().encode('not json'),
      encodeJson({ dispatchId: 'x' }),
      encodeJson({ ...d.message({ to: valid.to, accountSid: valid.accountSid }), channel: 'email' }),
      encodeJson({ ...d.message({ to: valid.to, accountSid: valid.accountSid }), expiresAt: 'tomorrow' }),
    ];
    for (const bytes of invalid) await d.publish(bytes);
    await d.publish(valid);

    await eventually(async () =>
      expect((await d.entries(valid.accountSid, valid.to)).map((e) => e.requestID)).toEqual([valid.requestId]),
    );
    const after = await d.settled();
    // Each message was delivered exactly once: a retried poison message would count twice.
    expect(after.delivered.consumer_seq - before).toBe(invalid.length + 1);
    expect(await d.entries(valid.accountSid, valid.to)).toHaveLength(1);
  });

  it('does not deliver a message whose code expired while it waited', async () => {
    const accountSid = newId('account');
    const to = uniqueNumber();
    const expired = d.message({
      accountSid,
      to,
      expiresAt: new Date(stack.clock.now().getTime() - 1000).toISOString(),
    });
    const fresh = d.message({ accountSid, to });
    await d.publish(expired);
    await d.publish(fresh);

    await eventually(async () =>
      expect((await d.entries(accountSid, to)).map((e) => e.requestID)).toContain(fresh.requestId),
    );
    await d.settled();
    expect((await d.entries(accountSid, to)).map((e) => e.requestID)).toEqual([fresh.requestId]);
    // Given up without a provider call, and said so: `failed` with the reason, never a silent drop.
    expect(await d.claim(expired.dispatchId)).toBe('failed');
    const statuses = await eventually(async () => {
      const found = await deliveryStatuses(stack, expired.requestId);
      expect(found).toHaveLength(1);
      return found;
    });
    expect(statuses[0].data).toMatchObject({ status: 'failed', error: { code: 'expired' } });
  });

  it('answers a malformed outbox query with 400 naming the field', async () => {
    const msg = await stack.nc.request(
      withPrefix(stack.config.nats.prefix, 'dev.v1.outbox.sms'),
      encodeJson({ accountSid: 'nope', to: '+14155550100' }),
      { timeout: 5000 },
    );
    expect(decodeJson(msg.data)).toMatchObject({ code: 400, field: 'accountSid' });
  });
});

describe('dispatcher-sms with the development outbox off', () => {
  let stack: Stack;
  let d: ReturnType<typeof driver>;

  beforeAll(async () => {
    stack = await startStack({ services: [dispatcherSmsService], env: { DEV_OUTBOX: 'false' } });
    d = driver(stack);
  });
  afterAll(async () => {
    await d?.close();
    await stack?.stop();
  });

  it('still sends, keeps nothing, and answers the outbox query with 404', async () => {
    const m = d.message();
    await d.publish(m);
    await eventually(async () => expect(await d.claim(m.dispatchId)).toBe('sent'));
    await d.settled();

    expect(await d.outbox(m.accountSid, m.to)).toEqual({ code: 404, message: 'Not Found' });
    const [, kept] = await d.redis.scan('0', 'MATCH', `${stack.config.redis.prefix}devoutbox:*`, 'COUNT', 1000);
    expect(kept).toEqual([]);
  });
});

/** The log provider, recording what reached it and refusing when told to. */
class RecordingProvider implements SmsProvider {
  readonly name = 'recording';
  readonly sends: { dispatchId: string; at: number; accepted: boolean }[] = [];
  private readonly refusals = new Map<string, number>();
  private readonly inner = new LogSmsProvider({ log: () => undefined, error: () => undefined, warn: () => undefined });

  refuse(dispatchId: string, times: number): void {
    this.refusals.set(dispatchId, times);
  }

  sendsOf(dispatchId: string) {
    return this.sends.filter((s) => s.dispatchId === dispatchId);
  }

  async send(message: OutgoingSms): Promise<{ providerMessageId: string }> {
    const left = this.refusals.get(message.dispatchId) ?? 0;
    this.sends.push({ dispatchId: message.dispatchId, at: Date.now(), accepted: left === 0 });
    if (left > 0) {
      this.refusals.set(message.dispatchId, left - 1);
      throw new Error('provider unavailable');
    }
    return this.inner.send(message);
  }
}

describe('dispatcher-sms when the provider or Redis fails', () => {
  let stack: Stack;
  let d: ReturnType<typeof driver>;
  let proxy: TcpProxy;
  const provider = new RecordingProvider();

  beforeAll(async () => {
    const redis = hostPort(serviceUrls().redisUrl, 6379);
    proxy = await new TcpProxy(redis.host, redis.port).start();
    stack = await startStack({
      services: [dispatcherSmsService],
      env: { REDIS_URL: proxy.url(serviceUrls().redisUrl) },
      overrides: [{ token: SMS_PROVIDER, value: provider }],
    });
    d = driver(stack);
  });
  afterAll(async () => {
    await d?.close();
    await stack?.stop();
    await proxy?.stop();
  });

  it('retries a refused message with back-off and delivers it once', async () => {
    const m = d.message();
    provider.refuse(m.dispatchId, 2);
    await d.publish(m);

    await eventually(async () => expect(await d.entries(m.accountSid, m.to)).toHaveLength(1), 15_000);
    await d.settled();
    const sends = provider.sendsOf(m.dispatchId);
    expect(sends.map((s) => s.accepted)).toEqual([false, false, true]);
    // 1s, then 2s: waited for, not hammered (a little slack for timer granularity).
    expect(sends[1].at - sends[0].at).toBeGreaterThanOrEqual(900);
    expect(sends[2].at - sends[1].at).toBeGreaterThanOrEqual(1900);
    expect(await d.claim(m.dispatchId)).toBe('sent');
  });

  it('sends nothing while Redis is unreachable, and sends once when it is back', async () => {
    const m = d.message();
    // Works normally first, so the silence below cannot be that of a broken pipeline.
    const warm = d.message();
    await d.publish(warm);
    await eventually(async () => expect(await d.entries(warm.accountSid, warm.to)).toHaveLength(1));
    const before = (await d.settled()).delivered.consumer_seq;

    proxy.cut();
    try {
      await d.publish(m);
      // Delivered once and held (not sent without a claim): longer than the ack wait, yet not
      // redelivered (its heartbeats keep it), and no delivery counted against it.
      await eventually(async () => expect((await d.consumer()).delivered.consumer_seq - before).toBe(1), 15_000);
      await new Promise((resolve) => setTimeout(resolve, stack.config.dispatch.ackWaitMs + 1500));
      const held = await d.consumer();
      expect(held.delivered.consumer_seq - before).toBe(1);
      expect(held.num_ack_pending).toBe(1);
      expect(provider.sendsOf(m.dispatchId)).toEqual([]);
    } finally {
      proxy.restore();
    }

    await eventually(async () => expect(await d.entries(m.accountSid, m.to)).toHaveLength(1), 15_000);
    await d.settled();
    expect(provider.sendsOf(m.dispatchId)).toHaveLength(1);
  });
});
