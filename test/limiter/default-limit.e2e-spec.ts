import { newId, withPrefix } from '@app/contracts';
import { decodeJson, encodeJson } from '@app/platform';
import { limiterService } from '../../apps/limiter/src/limiter.definition';
import { startStack, type Stack } from '../support/stack';

describe('limiter: the default limit over NATS', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      services: [limiterService],
      env: { DEFAULT_LIMIT_MAX: '2', DEFAULT_LIMIT_INTERVAL: '60' },
    });
  });
  afterAll(() => stack?.stop());

  const consume = async (payload: unknown) => {
    const msg = await stack.nc.request(
      withPrefix(stack.config.nats.prefix, 'limiter.v1.consume'),
      encodeJson(payload),
      { timeout: 5000 },
    );
    return decodeJson(msg.data) as Record<string, unknown>;
  };

  it('counts per account and destination, refusing with 453 once the window is full', async () => {
    const accountSid = newId('account');
    const destination = '+14155550100';
    expect(await consume({ accountSid, destination })).toMatchObject({ code: 200, remaining: 1 });
    expect(await consume({ accountSid, destination })).toMatchObject({ code: 200, remaining: 0 });
    const refused = await consume({ accountSid, destination });
    expect(refused).toMatchObject({ code: 453, message: 'Too many OTP request to same destination Number' });
    expect(refused.retryAfter).toBeGreaterThan(55);
    // Another destination, or another account, has its own window.
    expect(await consume({ accountSid, destination: '+14155550101' })).toMatchObject({ code: 200 });
    expect(await consume({ accountSid: newId('account'), destination })).toMatchObject({ code: 200 });
  });

  it('counts exactly max under concurrency', async () => {
    const accountSid = newId('account');
    const replies = await Promise.all(
      Array.from({ length: 40 }, () => consume({ accountSid, destination: '+14155550102' })),
    );
    expect(replies.filter((r) => r.code === 200)).toHaveLength(2);
    expect(replies.filter((r) => r.code === 453)).toHaveLength(38);
  });

  it('answers bad payloads with 400 naming the field', async () => {
    expect(await consume({ accountSid: 'nope', destination: '+14155550100' })).toMatchObject({
      code: 400,
      field: 'accountSid',
    });
    expect(await consume({ accountSid: newId('account') })).toMatchObject({
      code: 400,
      field: 'destination',
      message: 'Invalid request: destination is required',
    });
  });

  it('refuses a named limit the account does not have with 495', async () => {
    expect(
      await consume({ accountSid: newId('account'), destination: '+14155550100', limits: { perIp: '10.0.0.1' } }),
    ).toMatchObject({
      code: 495,
      message: 'Invalid Limit Name: perIp',
    });
  });
});
