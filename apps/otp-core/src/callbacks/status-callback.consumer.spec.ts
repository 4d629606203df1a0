import { Logger } from '@nestjs/common';
import {
  type OtpEventData,
  SIGNATURE_HEADER,
  STATUS_CALLBACK_EVENT_ID_HEADER,
  STATUS_CALLBACK_EVENT_TYPE_HEADER,
  Subjects,
  verifyBody,
} from '@app/contracts';
import { loadConfig, ManualClock, type OtpEventsConsumerOptions } from '@app/platform';
import type { JsMsg, NatsConnection } from 'nats';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventData } from '../otp-row';
import { InMemoryOtpRepository, pendingRow } from '../otp.repository.fake';
import { OutboxWriter } from '../outbox/outbox';
import { StatusCallbackConsumer } from './status-callback.consumer';

/**
 * Status callbacks without NATS or Postgres: events handed to the consumer as JetStream would,
 * the callback URL from the in-memory repository, and a real HTTP server on loopback as the
 * customer's receiver (what it answers decides ack or retry).
 */

const now = new Date('2026-11-22T09:00:00.000Z');
const accountSid = 'AC0123456789abcdef0123456789abcdef';
const requestId = 'OTP0123456789abcdef0123456789abcdef';

let server: Server;
let url: string;
let answer = 200;
const received: { headers: IncomingMessage['headers']; body: string }[] = [];

beforeAll(async () => {
  Logger.overrideLogger(false);
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = answer;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?token=secret`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  received.length = 0;
  answer = 200;
});

function setup(env: Record<string, string> = {}, statusCallback: string | null = url) {
  const repo = new InMemoryOtpRepository();
  const row = pendingRow(now, { id: requestId, accountSid, statusCallback });
  repo.requests.set(row.id, row);
  const config = loadConfig({ STATUS_CALLBACK_ALLOW_PRIVATE: 'true', STATUS_CALLBACK_RETRY_BASE_MS: '100', ...env });
  const consumer = new StatusCallbackConsumer({} as NatsConnection, repo, config, new ManualClock(now));
  const event = (data: Partial<OtpEventData> = {}) =>
    new OutboxWriter(now).event('verified', { ...eventData(row), status: 'verified', ...data }).pending[0].payload;
  const handle = (payload: unknown, redeliveryCount = 1) =>
    consumer.handle({
      data: Buffer.from(JSON.stringify(payload)),
      info: { redeliveryCount },
    } as unknown as JsMsg);
  return { repo, config, consumer, event, handle };
}

describe('StatusCallbackConsumer', () => {
  it('reads only the status-callback copies, not every event', () => {
    const { consumer } = setup();
    const options = (consumer as unknown as { options(): OtpEventsConsumerOptions }).options();
    expect(options).toMatchObject({ durable: 'otp-core-status-callbacks', filterSubject: 'otp.v1.status_callbacks.>' });
    expect(options.filterSubject).toBe(Subjects.allStatusCallbackEvents);
  });

  it('POSTs the event to the request’s URL, signed, with its id and type, and acknowledges a 2xx', async () => {
    const { config, event, handle } = setup();
    const payload = event() as { metadata: { eventId: string } };
    expect(await handle(payload)).toEqual({ ack: true });
    expect(received).toHaveLength(1);
    const [{ headers, body }] = received;
    expect(JSON.parse(body)).toEqual(payload);
    expect(headers[STATUS_CALLBACK_EVENT_ID_HEADER.toLowerCase()]).toBe(payload.metadata.eventId);
    expect(headers[STATUS_CALLBACK_EVENT_TYPE_HEADER.toLowerCase()]).toBe('verified');
    const signature = headers[SIGNATURE_HEADER.toLowerCase()] as string;
    expect(
      verifyBody(config.statusCallback.secret, Buffer.from(body), signature, Math.floor(now.getTime() / 1000)),
    ).toBe(true);
  });

  it('retries anything but a 2xx with exponential back-off, capped', async () => {
    const { event, handle } = setup();
    answer = 500;
    expect(await handle(event(), 1)).toEqual({ retryAfterMs: 100 });
    expect(await handle(event(), 4)).toEqual({ retryAfterMs: 800 });
    expect(await handle(event(), 30)).toEqual({ retryAfterMs: 10 * 60 * 1000 });
    expect(received).toHaveLength(3);
  });

  it('acknowledges without a lookup or a POST when the event says the request has no callback', async () => {
    const { repo, event, handle } = setup();
    repo.failNext = new Error('would have looked it up');
    expect(await handle(event({ hasStatusCallback: false }))).toEqual({ ack: true });
    expect(received).toEqual([]);
  });

  it('acknowledges an event of a request without a callback URL (or not this account’s), posting nothing', async () => {
    const { event, handle } = setup({}, null);
    expect(await handle(event())).toEqual({ ack: true });
    expect(await handle(event({ accountSid: 'ACffffffffffffffffffffffffffffffff' }))).toEqual({ ack: true });
    expect(received).toEqual([]);
  });

  it('drops what is not an OTP event: it would never parse', async () => {
    const { handle } = setup();
    expect(await handle({ hello: 'world' })).toEqual({ drop: 'invalid event' });
  });

  it('holds the event through a database outage, and retries a lookup that failed otherwise', async () => {
    const { repo, event, handle } = setup();
    repo.failNext = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(await handle(event())).toEqual({ unavailable: 'connect ECONNREFUSED 127.0.0.1:5432' });
    repo.failNext = new Error('syntax error');
    expect(await handle(event())).toEqual({ retryAfterMs: 1000 });
    expect(received).toEqual([]);
  });

  it('gives up at once on an internal address when private networks are not allowed', async () => {
    const { event, handle } = setup({ STATUS_CALLBACK_ALLOW_PRIVATE: 'false' });
    expect(await handle(event())).toEqual({ ack: true });
    expect(received).toEqual([]);
  });

  it('retries a receiver that does not answer in time', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as AddressInfo).port;
      const { event, handle } = setup({ STATUS_CALLBACK_TIMEOUT_MS: '100' }, `http://127.0.0.1:${port}/hook`);
      expect(await handle(event())).toEqual({ retryAfterMs: 100 });
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
