import { Logger } from '@nestjs/common';
import type { DeliveryStatusEvent, DispatchMessage } from '@app/contracts';
import { loadConfig, ManualClock, type MessageOutcome } from '@app/platform';
import type { JsMsg, NatsConnection } from 'nats';
import { ChannelDispatcher } from './channel-dispatcher';
import type { DevOutboxStore } from './dev-outbox.store';
import type { Claim, DispatchClaims, Lease, SentRecord } from './dispatch-claims';
import { type ChannelProvider, ProviderError } from './provider';
import { ProviderChain } from './provider-chain';

/**
 * The dispatcher's decisions about one message, without NATS, Redis or a provider: fakes
 * stand in for the claims (Redis), the provider and the JetStream publish, and record what the
 * dispatcher asked of them.
 */

const now = new Date('2026-11-22T09:40:00.000Z');
const requestId = 'OTP0123456789abcdef0123456789abcdef';
const message: DispatchMessage = {
  dispatchId: `${requestId}-1`,
  requestId,
  accountSid: 'AC0123456789abcdef0123456789abcdef',
  channel: 'sms',
  from: 'ACME',
  to: '+14155552671',
  text: 'Your code is 123456',
  maskedText: 'Your code is ******',
  expiresAt: '2026-11-22T09:45:00.000Z',
  createdAt: '2026-11-22T09:39:59.000Z',
};

class FakeClaims {
  calls: string[] = [];
  claimWith: Claim | Error = { kind: 'claimed', lease: lease(1) };
  markFailedAnswer = true;
  sent: SentRecord | null = null;

  async claim(dispatchId: string): Promise<Claim> {
    this.calls.push(`claim ${dispatchId}`);
    if (this.claimWith instanceof Error) throw this.claimWith;
    return this.claimWith;
  }
  async renew(): Promise<boolean> {
    return true;
  }
  async markSentWith(record: SentRecord): Promise<void> {
    this.calls.push('markSentWith');
    this.sent = record;
  }
  async markSent(): Promise<void> {
    this.calls.push('markSent');
  }
  async markFailed(): Promise<boolean> {
    this.calls.push('markFailed');
    return this.markFailedAnswer;
  }
  async reopenFailed(): Promise<void> {
    this.calls.push('reopenFailed');
  }
  async release(): Promise<void> {
    this.calls.push('release');
  }
  async record(): Promise<SentRecord | null> {
    return this.sent;
  }
  async dispatchIdOf(): Promise<string | null> {
    return null;
  }
}

function lease(attempt: number): Lease {
  return { dispatchId: message.dispatchId, token: 't', attempt };
}

class FakeProvider implements ChannelProvider {
  sends = 0;
  constructor(readonly name = 'fake') {}
  answer: () => Promise<{ providerMessageId: string; units?: number }> = async () => ({ providerMessageId: 'pm-1' });
  send(): Promise<{ providerMessageId: string; units?: number }> {
    this.sends++;
    return this.answer();
  }
}

/**
 * The JetStream publishes of delivery status events (or a failure to publish), and apart
 * their status-callback copies (the message here does not say whether its request has a
 * callback, so each status is copied).
 */
class FakeNats {
  published: DeliveryStatusEvent[] = [];
  copies: DeliveryStatusEvent[] = [];
  failPublish = false;
  jetstream() {
    return {
      publish: async (subject: string, data: Uint8Array) => {
        if (this.failPublish) throw new Error('nats down');
        const event = JSON.parse(Buffer.from(data).toString()) as DeliveryStatusEvent;
        (subject === 'otp.v1.status_callbacks.delivery_status' ? this.copies : this.published).push(event);
      },
    };
  }
}

function setup({ failover = false }: { failover?: boolean } = {}) {
  const claims = new FakeClaims();
  const provider = new FakeProvider();
  const second = new FakeProvider('second');
  const nats = new FakeNats();
  const dispatcher = new ChannelDispatcher({
    channel: 'sms',
    nc: nats as unknown as NatsConnection,
    config: loadConfig({ DISPATCH_MAX_ATTEMPTS: '3', DISPATCH_RETRY_BASE_MS: '100' }),
    chain: new ProviderChain('sms', failover ? [{ provider }, { provider: second }] : [{ provider }], () =>
      now.getTime(),
    ),
    claims: claims as unknown as DispatchClaims,
    outbox: { keep: async () => undefined } as unknown as DevOutboxStore,
    clock: new ManualClock(now),
  });
  const handle = (payload: unknown, redeliveryCount = 1): Promise<MessageOutcome> =>
    dispatcher.handle({
      data: Buffer.from(JSON.stringify(payload)),
      info: { redeliveryCount },
    } as unknown as JsMsg);
  const statuses = () => nats.published.map((e) => [e.data.status, e.data.error?.code ?? null]);
  return { dispatcher, claims, provider, second, nats, handle, statuses };
}

beforeAll(() => Logger.overrideLogger(false));

/** Waits (without a fixed sleep) until `done` holds: the dispatcher is at that step. */
async function eventually(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setImmediate(resolve));
  expect(done()).toBe(true);
}

describe('ChannelDispatcher: what it refuses to send', () => {
  it.each([
    ['not a dispatch message', { hello: 'world' }],
    ['another channel', { ...message, channel: 'email' }],
    ['an expiry that is no time', { ...message, expiresAt: 'soon' }],
  ])('drops %s without claiming it', async (_, payload) => {
    const { claims, provider, handle } = setup();
    expect(await handle(payload)).toEqual({ drop: 'invalid message' });
    expect(claims.calls).toEqual([]);
    expect(provider.sends).toBe(0);
  });

  it('gives up a message whose code has expired: `failed` with the reason, never sent', async () => {
    const { claims, provider, handle, statuses } = setup();
    expect(await handle({ ...message, expiresAt: now.toISOString() })).toEqual({ ack: true });
    expect(claims.calls).toEqual([`claim ${message.dispatchId}`, 'markFailed']);
    expect(provider.sends).toBe(0);
    expect(statuses()).toEqual([['failed', 'expired']]);
  });

  it('copies each status for the status callbacks unless the dispatch says its request has none', async () => {
    const unknown = setup();
    await unknown.handle({ ...message, expiresAt: now.toISOString() });
    expect(unknown.nats.copies).toEqual(unknown.nats.published);
    const without = setup();
    await without.handle({ ...message, expiresAt: now.toISOString(), hasStatusCallback: false });
    expect(without.statuses()).toEqual([['failed', 'expired']]);
    expect(without.nats.copies).toEqual([]);
  });

  it('never sends without a claim: a claim store outage retries later', async () => {
    const { claims, provider, handle, statuses } = setup();
    claims.claimWith = new Error('redis down');
    expect(await handle(message)).toEqual({ unavailable: 'cannot claim dispatch: redis down' });
    expect(provider.sends).toBe(0);
    expect(statuses()).toEqual([]);
  });

  it('leaves a dispatch leased by another replica alone, looking again before the lease ends', async () => {
    const { claims, provider, handle } = setup();
    claims.claimWith = { kind: 'busy', retryInMs: 2000 };
    const outcome = await handle(message, 1);
    expect(provider.sends).toBe(0);
    expect(outcome).toHaveProperty('retryAfterMs');
    const { retryAfterMs } = outcome as { retryAfterMs: number };
    // First look after the base delay (250 ms) plus jitter (< 100 ms), never after the lease.
    expect(retryAfterMs).toBeGreaterThanOrEqual(250);
    expect(retryAfterMs).toBeLessThan(350);
  });

  it('acknowledges a copy of a dispatch already sent, publishing its `sent` again, and sends nothing', async () => {
    const { claims, provider, handle, statuses } = setup();
    claims.claimWith = { kind: 'already-done' };
    claims.sent = {
      requestId,
      accountSid: message.accountSid,
      parentAccountSid: null,
      dispatchId: message.dispatchId,
      channel: 'sms',
      to: message.to,
      provider: 'fake',
      providerMessageId: 'pm-1',
      attempt: 1,
      units: 1,
    } as SentRecord;
    expect(await handle(message)).toEqual({ ack: true });
    expect(provider.sends).toBe(0);
    expect(statuses()).toEqual([['sent', null]]);
  });
});

describe('ChannelDispatcher: when the provider refuses', () => {
  it('retries a transient refusal with back-off, publishing `queued` with the reason', async () => {
    const { claims, provider, handle, statuses } = setup();
    provider.answer = async () => {
      throw new ProviderError('http_503', 'try later', false);
    };
    claims.claimWith = { kind: 'claimed', lease: lease(2) };
    // Attempt 2: base × 2.
    expect(await handle(message)).toEqual({ retryAfterMs: 200 });
    expect(claims.calls).toContain('release');
    expect(claims.calls).not.toContain('markFailed');
    expect(statuses()).toEqual([['queued', 'http_503']]);
  });

  it('fails a permanent refusal at once', async () => {
    const { claims, provider, handle, statuses } = setup();
    provider.answer = async () => {
      throw new ProviderError('http_400', 'bad number', true);
    };
    expect(await handle(message)).toEqual({ ack: true });
    expect(claims.calls).toContain('markFailed');
    expect(claims.calls).not.toContain('release');
    expect(statuses()).toEqual([['failed', 'http_400']]);
  });

  it('fails a transient refusal once the attempts are spent', async () => {
    const { claims, provider, handle, statuses } = setup();
    provider.answer = async () => {
      throw new Error('connection reset');
    };
    claims.claimWith = { kind: 'claimed', lease: lease(3) };
    expect(await handle(message)).toEqual({ ack: true });
    expect(statuses()).toEqual([['failed', 'provider_unavailable']]);
  });

  it('does not fail a dispatch whose lease another replica took over', async () => {
    const { claims, provider, handle, statuses } = setup();
    provider.answer = async () => {
      throw new ProviderError('http_400', 'bad number', true);
    };
    claims.markFailedAnswer = false;
    expect(await handle(message)).toEqual({ retryAfterMs: 1000 });
    expect(statuses()).toEqual([]);
  });

  it('holds a `failed` status that could not be published, and publishes it once NATS is back', async () => {
    const { claims, provider, nats, handle, statuses } = setup();
    provider.answer = async () => {
      throw new ProviderError('http_400', 'bad number', true);
    };
    nats.failPublish = true;
    const outcome = handle(message);
    await eventually(() => claims.calls.includes('markFailed'));
    nats.failPublish = false;
    expect(await outcome).toEqual({ ack: true });
    expect(claims.calls).not.toContain('reopenFailed');
    expect(statuses()).toEqual([['failed', 'http_400']]);
  });

  it('reopens a failed dispatch whose `failed` status was still unpublished at shutdown', async () => {
    const { dispatcher, claims, provider, nats, handle } = setup();
    provider.answer = async () => {
      throw new ProviderError('http_400', 'bad number', true);
    };
    nats.failPublish = true;
    const outcome = handle(message);
    await eventually(() => claims.calls.includes('markFailed'));
    await dispatcher.stop();
    expect(await outcome).toEqual({ retryAfterMs: 0 });
    expect(claims.calls).toEqual(expect.arrayContaining(['markFailed', 'reopenFailed']));
  });

  it('fails a transient refusal over to the next provider under the same lease: sent once', async () => {
    const { claims, provider, second, handle, statuses } = setup({ failover: true });
    provider.answer = async () => {
      throw new ProviderError('http_503', 'try later', false);
    };
    expect(await handle(message)).toEqual({ ack: true });
    expect([provider.sends, second.sends]).toEqual([1, 1]);
    expect(claims.calls).toEqual([`claim ${message.dispatchId}`, 'markSentWith']);
    expect(claims.sent).toMatchObject({ provider: 'second', attempt: 1 });
    expect(statuses()).toEqual([['sent', null]]);
  });

  it('does not fail a permanent refusal over: another provider would refuse the number too', async () => {
    const { provider, second, handle, statuses } = setup({ failover: true });
    provider.answer = async () => {
      throw new ProviderError('http_400', 'bad number', true);
    };
    expect(await handle(message)).toEqual({ ack: true });
    expect(second.sends).toBe(0);
    expect(statuses()).toEqual([['failed', 'http_400']]);
  });

  it('records a send before anything else can fail, and acknowledges it once `sent` is out', async () => {
    const { claims, provider, handle, statuses } = setup();
    expect(await handle(message)).toEqual({ ack: true });
    expect(provider.sends).toBe(1);
    expect(claims.calls).toEqual([`claim ${message.dispatchId}`, 'markSentWith']);
    expect(claims.sent).toMatchObject({ dispatchId: message.dispatchId, providerMessageId: 'pm-1', attempt: 1 });
    expect(statuses()).toEqual([['sent', null]]);
  });
});
