import {
  type AnyOtpEvent,
  type DispatchMessage,
  streamName,
  Streams,
  Subjects,
  verifyBody,
  withPrefix,
} from '@app/contracts';
import { AckPolicy, DeliverPolicy } from 'nats';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gatewayService } from '../../apps/gateway/src/gateway.definition';
import { limiterService } from '../../apps/limiter/src/limiter.definition';
import { otpCoreService } from '../../apps/otp-core/src/otp-core.definition';
import { eventually } from '../support/eventually';
import { type Credentials, http } from '../support/http';
import { dispatchesOf, eventsOf, publishDeliveryStatus, statusCallbackCopies } from '../support/jetstream-helpers';
import { BODY, createAccount, readCode, sendOtp, uniqueNumber } from '../support/otp-helpers';
import { startStack, type Stack } from '../support/stack';

const SECRET = 'callback-secret-for-tests-0123456789abcdef';
/** A stack that signs with SECRET, may POST to this machine's receiver, and retries fast. */
const CALLBACK_ENV = {
  DEFAULT_LIMIT_MAX: '1000',
  STATUS_CALLBACK_SECRET: SECRET,
  STATUS_CALLBACK_ALLOW_PRIVATE: 'true',
  STATUS_CALLBACK_RETRY_BASE_MS: '100',
};

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  event: AnyOtpEvent;
  answered: number;
}

/** The customer's endpoint: records every POST and answers what the test tells it to. */
class Receiver {
  readonly received: Received[] = [];
  /** Status to answer, by path; 200 when not set. A function may answer per attempt. */
  readonly answers = new Map<string, (attempt: number) => number>();
  private server?: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const path = req.url ?? '/';
        const attempt = this.received.filter((r) => r.path === path && r.raw === raw).length + 1;
        const answered = this.answers.get(path)?.(attempt) ?? 200;
        this.received.push({ path, headers: req.headers, raw, event: JSON.parse(raw) as AnyOtpEvent, answered });
        res.writeHead(answered).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

describe('status callbacks: signed POSTs of every event of a request', () => {
  let stack: Stack;
  let auth: Credentials;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await new Receiver().start();
    stack = await startStack({
      services: [gatewayService, otpCoreService, limiterService],
      env: {
        ...CALLBACK_ENV,
        STATUS_CALLBACK_MAX_ATTEMPTS: '4',
      },
    });
    auth = await createAccount(stack);
  });
  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
  });

  const send = async (extra: Record<string, unknown>) => {
    // Ten digits: a code that long cannot turn up in a payload by chance.
    const res = await http(stack.url, 'POST', '/2fa/send', {
      auth,
      body: { service: '2FA', from: '+14155550000', to: uniqueNumber(), body: BODY, length: 10, ...extra },
    });
    expect(res.status).toBe(200);
    return res.body.requestID as string;
  };
  const firstDispatch = (requestId: string) =>
    eventually(async () => {
      const [d] = await dispatchesOf(stack, requestId);
      if (!d) throw new Error('not dispatched yet');
      return d;
    });
  const codeOf = (d: DispatchMessage) => d.text.slice(BODY.indexOf('{code}'));
  const typesAt = (path: string) =>
    receiver
      .at(path)
      .filter((r) => r.answered === 200)
      .map((r) => r.event.type);

  it('POSTs created, dispatched, delivery statuses, verify_failed and verified, signed, never with the code', async () => {
    const path = '/hooks/a?token=xyz';
    const requestId = await send({ statusCallback: `${receiver.url}${path}` });
    const dispatch = await firstDispatch(requestId);
    await publishDeliveryStatus(stack, dispatch, 'delivered');
    const code = codeOf(dispatch);
    expect(
      (
        await http(stack.url, 'POST', '/2fa/verify', {
          auth,
          body: { requestId, code: code === '0000000000' ? '1111111111' : '0000000000' },
        })
      ).status,
    ).toBe(401);
    expect((await http(stack.url, 'POST', '/2fa/verify', { auth, body: { requestId, code } })).status).toBe(200);

    await eventually(() =>
      expect(new Set(typesAt(path))).toEqual(
        new Set(['created', 'dispatched', 'delivery_status', 'verify_failed', 'verified']),
      ),
    );
    for (const r of receiver.at(path)) {
      expect(r.event.data.requestId).toBe(requestId);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['x-smart2fa-event-id']).toBe(r.event.metadata.eventId);
      expect(r.headers['x-smart2fa-event-type']).toBe(r.event.type);
      expect(
        verifyBody(
          SECRET,
          r.raw,
          r.headers['x-smart2fa-signature'] as string,
          Math.floor(stack.clock.now().getTime() / 1000),
        ),
      ).toBe(true);
      // Signed over the exact body: one byte more and it no longer verifies.
      expect(
        verifyBody(
          SECRET,
          `${r.raw} `,
          r.headers['x-smart2fa-signature'] as string,
          Math.floor(stack.clock.now().getTime() / 1000),
        ),
      ).toBe(false);
      expect(r.raw).not.toContain(code);
    }
    const delivery = receiver.at(path).find((r) => r.event.type === 'delivery_status')!;
    expect(delivery.event.data).toMatchObject({
      dispatchId: dispatch.dispatchId,
      status: 'delivered',
      provider: 'test',
    });
  });

  it('retries with back-off after the receiver answers 500, until it answers 200', async () => {
    const path = '/hooks/flaky';
    receiver.answers.set(path, (attempt) => (attempt <= 2 ? 500 : 200));
    const requestId = await send({ statusCallback: `${receiver.url}${path}` });
    await eventually(() => expect(typesAt(path)).toContain('created'));
    const created = receiver.at(path).filter((r) => r.event.type === 'created');
    expect(created.map((r) => r.answered)).toEqual([500, 500, 200]);
    expect(new Set(created.map((r) => r.event.metadata.eventId)).size).toBe(1);
    expect(created.every((r) => r.event.data.requestId === requestId)).toBe(true);
  });

  it('gives up after STATUS_CALLBACK_MAX_ATTEMPTS deliveries of one event', async () => {
    const path = '/hooks/down';
    receiver.answers.set(path, () => 503);
    await send({ statusCallback: `${receiver.url}${path}` });
    await eventually(() => expect(receiver.at(path).filter((r) => r.event.type === 'created')).toHaveLength(4));
    // Well past the next back-off (800 ms): no fifth attempt.
    await new Promise((r) => setTimeout(r, 1500));
    expect(receiver.at(path).filter((r) => r.event.type === 'created')).toHaveLength(4);
  });

  it('POSTs the fallback dispatch and the failed event when every channel failed', async () => {
    const path = '/hooks/failing';
    const requestId = await send({
      statusCallback: `${receiver.url}${path}`,
      fallback: [{ channel: 'call', after: 60 }],
    });
    const sms = await firstDispatch(requestId);
    await publishDeliveryStatus(stack, sms, 'failed');
    const call = await eventually(async () => {
      const found = (await dispatchesOf(stack, requestId))[1];
      if (!found) throw new Error('no fallback yet');
      return found;
    });
    await publishDeliveryStatus(stack, call, 'failed');
    await eventually(() => expect(typesAt(path)).toContain('failed'));
    const dispatched = receiver
      .at(path)
      .filter((r) => r.event.type === 'dispatched')
      .map((r) => [r.event.data.channel, (r.event.data as { dispatchId?: string }).dispatchId]);
    expect(dispatched).toEqual(
      expect.arrayContaining([
        ['sms', `${requestId}-1`],
        ['call', `${requestId}-2`],
      ]),
    );
    const failed = receiver.at(path).find((r) => r.event.type === 'failed')!;
    expect(failed.event.data).toMatchObject({ requestId, status: 'failed', reason: 'delivery_failed' });
    for (const r of receiver.at(path)) expect(r.raw).not.toContain(codeOf(sms));
  });

  it('refuses a statusCallback that is not an http(s) URL, naming the field', async () => {
    for (const statusCallback of ['ftp://example.com/x', 'not a url', 'https://user:pw@example.com/']) {
      const res = await http(stack.url, 'POST', '/2fa/send', {
        auth,
        body: { service: '2FA', from: '+14155550000', to: uniqueNumber(), body: BODY, statusCallback },
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 400, field: 'statusCallback' });
    }
  });
});

describe('status callbacks across an otp-core restart', () => {
  let stack: Stack;
  let auth: Credentials;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await new Receiver().start();
    // A long back-off, so that the restart happens between two attempts, well before the last.
    stack = await startStack({
      services: [gatewayService, otpCoreService, limiterService],
      env: {
        DEFAULT_LIMIT_MAX: '1000',
        STATUS_CALLBACK_SECRET: SECRET,
        STATUS_CALLBACK_ALLOW_PRIVATE: 'true',
        STATUS_CALLBACK_RETRY_BASE_MS: '2000',
        STATUS_CALLBACK_MAX_ATTEMPTS: '10',
      },
    });
    auth = await createAccount(stack);
  });
  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
  });

  it('loses nothing: what the receiver refused before the restart arrives after it', async () => {
    const path = '/hooks/restart';
    let healthy = false;
    receiver.answers.set(path, () => (healthy ? 200 : 500));
    const res = await http(stack.url, 'POST', '/2fa/send', {
      auth,
      body: {
        service: '2FA',
        from: '+14155550000',
        to: uniqueNumber(),
        body: BODY,
        statusCallback: `${receiver.url}${path}`,
      },
    });
    const requestId = res.body.requestID as string;
    await eventually(() =>
      expect(receiver.at(path).map((r) => r.event.type)).toEqual(expect.arrayContaining(['created', 'dispatched'])),
    );
    expect(receiver.at(path).every((r) => r.answered === 500)).toBe(true);
    await stack.apps[1].close();
    healthy = true;
    await stack.startService(otpCoreService);
    await eventually(() => {
      const delivered = receiver.at(path).filter((r) => r.answered === 200);
      expect(delivered.map((r) => r.event.type)).toEqual(expect.arrayContaining(['created', 'dispatched']));
    }, 20_000);
    expect(receiver.at(path).every((r) => r.event.data.requestId === requestId)).toBe(true);
  });
});

describe('status callbacks to internal addresses (SSRF)', () => {
  let stack: Stack;
  let auth: Credentials;
  let receiver: Receiver;
  const logs: string[] = [];

  beforeAll(async () => {
    receiver = await new Receiver().start();
    // STATUS_CALLBACK_ALLOW_PRIVATE left at its default: off.
    stack = await startStack({
      services: [gatewayService, otpCoreService, limiterService],
      env: { DEFAULT_LIMIT_MAX: '1000', STATUS_CALLBACK_SECRET: SECRET, LOG_LEVEL: 'warn' },
      logStream: { write: (line: string) => logs.push(line) },
    });
    auth = await createAccount(stack);
  });
  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
  });

  it('refuses to POST to a loopback address by default, and does not retry it', async () => {
    const path = '/hooks/internal';
    // The receiver is on 127.0.0.1, and `localhost` resolves there too: both are refused.
    const urls = [`${receiver.url}${path}`, `${receiver.url.replace('127.0.0.1', 'localhost')}${path}`];
    for (const statusCallback of urls) {
      const res = await http(stack.url, 'POST', '/2fa/send', {
        auth,
        body: { service: '2FA', from: '+14155550000', to: uniqueNumber(), body: BODY, statusCallback },
      });
      expect(res.status).toBe(200);
    }
    const refusals = () => logs.filter((l) => l.includes('status callback refused: internal address'));
    // created and dispatched of both requests: four events, each refused once.
    await eventually(() => expect(refusals().length).toBeGreaterThanOrEqual(4), 20_000);
    expect(refusals().every((l) => l.includes('"host":"127.0.0.1:') || l.includes('"host":"localhost:'))).toBe(true);
    expect(receiver.at(path)).toHaveLength(0);
    expect(logs.some((l) => l.includes('status callback failed'))).toBe(false);
  });
});

describe('status callbacks ride their own subject: a request without one costs their consumer nothing', () => {
  let stack: Stack;
  let auth: Credentials;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await new Receiver().start();
    // The all-in-one: the real outbox relay and the real (log) SMS dispatcher publish everything.
    stack = await startStack({
      env: CALLBACK_ENV,
    });
    auth = await createAccount(stack);
  });
  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
  });

  it('copies every event of a request with a callback, and POSTs them all; of one without, nothing', async () => {
    const path = '/hooks/own-subject';
    const withTo = uniqueNumber();
    const withoutTo = uniqueNumber();
    const withId = await sendOtp(stack, auth, withTo, { statusCallback: `${receiver.url}${path}` });
    const withoutId = await sendOtp(stack, auth, withoutTo);
    for (const [to, requestId] of [
      [withTo, withId],
      [withoutTo, withoutId],
    ]) {
      const code = await readCode(stack, auth, to, requestId);
      expect((await http(stack.url, 'POST', '/2fa/verify', { auth, body: { requestId, code } })).status).toBe(200);
    }
    // created, dispatched, the log provider's `sent`, verified: from otp-core and the dispatcher.
    const expected = ['created', 'dispatched', 'delivery_status', 'verified'];
    const events = await eventually(async () => {
      const all = await eventsOf(stack, withId);
      expect(new Set(all.map((e) => e.type))).toEqual(new Set(expected));
      expect(new Set((await eventsOf(stack, withoutId)).map((e) => e.type))).toEqual(new Set(expected));
      return all;
    });
    await eventually(() =>
      expect(
        receiver
          .at(path)
          .filter((r) => r.answered === 200)
          .map((r) => r.event.metadata.eventId)
          .sort(),
      ).toEqual(events.map((e) => e.metadata.eventId).sort()),
    );

    const copies = await statusCallbackCopies(stack);
    // Nothing of the request without a callback reached the subject the consumer reads.
    expect(copies.filter((c) => c.event.data.requestId === withoutId)).toEqual([]);
    // Each event of the other exactly once, on otp.v1.status_callbacks.<its type>, as published.
    const mine = copies.filter((c) => c.event.data.requestId === withId);
    expect(mine.map((c) => c.event).sort((a, b) => a.metadata.eventId.localeCompare(b.metadata.eventId))).toEqual(
      [...events].sort((a, b) => a.metadata.eventId.localeCompare(b.metadata.eventId)),
    );
    for (const c of mine) expect(c.subject).toBe(`otp.v1.status_callbacks.${c.event.type}`);
    const { num_pending, num_ack_pending, config } = await (
      await stack.nc.jetstreamManager()
    ).consumers.info(streamName(stack.config.nats.prefix, Streams.otpEvents), 'otp-core-status-callbacks');
    expect({ num_pending, num_ack_pending }).toEqual({ num_pending: 0, num_ack_pending: 0 });
    expect(config.filter_subject).toBe(`${stack.config.nats.prefix}.otp.v1.status_callbacks.>`);
  });
});

describe('status callbacks after an upgrade from the consumer of every event', () => {
  let stack: Stack;
  let auth: Credentials;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await new Receiver().start();
    stack = await startStack({
      services: [gatewayService, limiterService],
      env: CALLBACK_ENV,
    });
    auth = await createAccount(stack);
  });
  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
  });

  it('moves the durable to the callback subject and POSTs what comes after', async () => {
    const prefix = stack.config.nats.prefix;
    const jsm = await stack.nc.jetstreamManager();
    const stream = streamName(prefix, Streams.otpEvents);
    // The stream and the durable as the previous version left them: OTP_EVENTS with
    // `otp.v1.events.>` only, the durable filtering on it (the gateway may have declared the
    // stream of this version already: it is replaced).
    await jsm.streams.delete(stream).catch(() => undefined);
    await jsm.streams.add({ name: stream, subjects: [withPrefix(prefix, Subjects.allOtpEvents)] });
    await jsm.consumers.add(stream, {
      durable_name: 'otp-core-status-callbacks',
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: withPrefix(prefix, Subjects.allOtpEvents),
    });
    await stack.startService(otpCoreService);
    const info = await jsm.consumers.info(stream, 'otp-core-status-callbacks');
    expect(info.config.filter_subject).toBe(withPrefix(prefix, Subjects.allStatusCallbackEvents));
    expect((await jsm.streams.info(stream)).config.subjects).toEqual([
      withPrefix(prefix, Subjects.allOtpEvents),
      withPrefix(prefix, Subjects.allStatusCallbackEvents),
    ]);

    const path = '/hooks/upgraded';
    const requestId = await send(stack, auth, { statusCallback: `${receiver.url}${path}` });
    await eventually(() =>
      expect(new Set(receiver.at(path).map((r) => r.event.type))).toEqual(new Set(['created', 'dispatched'])),
    );
    expect(receiver.at(path).every((r) => r.event.data.requestId === requestId)).toBe(true);
  });
});

async function send(stack: Stack, auth: Credentials, extra: Record<string, unknown>): Promise<string> {
  const res = await http(stack.url, 'POST', '/2fa/send', {
    auth,
    body: { service: '2FA', from: '+14155550000', to: uniqueNumber(), body: BODY, ...extra },
  });
  expect(res.status).toBe(200);
  return res.body.requestID as string;
}
