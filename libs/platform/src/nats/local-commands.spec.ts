import { Logger } from '@nestjs/common';
import type { NatsConnection } from 'nats';
import { loadConfig } from '../config/app-config';
import { localHandler, serveLocally, stopServingLocally } from './local-commands';
import { NatsRpcClient } from './nats-rpc.client';

/** A connection that never connects anywhere: every trip through NATS is counted and refused. */
function fakeConnection() {
  const sent: string[] = [];
  const nc = {
    sent,
    status: () => ({ [Symbol.asyncIterator]: () => ({ next: () => new Promise(() => undefined) }) }),
    isClosed: () => false,
    isDraining: () => false,
    request: (subject: string) => {
      sent.push(subject);
      return Promise.reject(Object.assign(new Error('no responders'), { code: '503' }));
    },
  };
  return nc as unknown as NatsConnection & { sent: string[] };
}

describe('commands served in the same process', () => {
  const config = loadConfig({ NATS_REQUEST_TIMEOUT_MS: '100' });
  beforeAll(() => Logger.overrideLogger(false));

  it('are answered in place, without a trip through NATS', async () => {
    const nc = fakeConnection();
    serveLocally(nc, 'otp.v1.cancel', async (input) => ({ code: 200, message: 'OK', got: input }));
    const client = new NatsRpcClient(nc, config);
    const reply = await client.request('otp.v1.cancel', { accountSid: 'AC1', requestId: 'OTP1' });
    expect(reply).toEqual({ code: 200, message: 'OK', got: { accountSid: 'AC1', requestId: 'OTP1' } });
    expect(nc.sent).toEqual([]);
  });

  it('only on the connection they are served on; other commands still go over NATS', async () => {
    const nc = fakeConnection();
    const other = fakeConnection();
    serveLocally(other, 'otp.v1.cancel', async () => ({ code: 200, message: 'OK' }));
    const client = new NatsRpcClient(nc, config);
    const reply = await client.request('otp.v1.cancel', { accountSid: 'AC1', requestId: 'OTP1' });
    expect(reply.code).toBe(503);
    expect(nc.sent).toEqual(['otp.v1.cancel']);
  });

  it('with the same time-out: a command whose outcome matters is "unknown" (457), a read 503', async () => {
    const nc = fakeConnection();
    const never = () => new Promise<object>(() => undefined);
    serveLocally(nc, 'otp.v1.cancel', never);
    serveLocally(nc, 'sdr.v1.usage', never);
    const client = new NatsRpcClient(nc, config);
    expect((await client.request('otp.v1.cancel', { accountSid: 'AC1', requestId: 'OTP1' })).code).toBe(457);
    expect((await client.request('sdr.v1.usage', { accountSid: 'AC1' } as never)).code).toBe(503);
  });

  it('no longer once the server stops serving them', async () => {
    const nc = fakeConnection();
    serveLocally(nc, 'otp.v1.cancel', async () => ({ code: 200, message: 'OK' }));
    stopServingLocally(nc, 'otp.v1.cancel');
    expect(localHandler(nc, 'otp.v1.cancel')).toBeUndefined();
  });
});
