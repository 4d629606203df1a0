import type { NatsRpcClient } from '@app/platform';
import { sendOtpCommand } from './otp-send';

describe('sendOtpCommand', () => {
  const forwarded: Record<string, unknown>[] = [];
  const rpc = {
    forward: async (_subject: string, payload: Record<string, unknown>) => {
      forwarded.push(JSON.parse(JSON.stringify(payload)));
      return { code: 200, message: 'OK', requestID: 'OTP1' };
    },
  } as unknown as NatsRpcClient;

  beforeEach(() => (forwarded.length = 0));

  it('says a key it made for the send is new', async () => {
    await sendOtpCommand(rpc, { to: '+14155550100' });
    expect(forwarded[0]).toMatchObject({ idempotencyKeyMinted: true });
    expect(forwarded[0].idempotencyKey).toMatch(/^gw-/);
  });

  it("never lets the body say the caller's key is new", async () => {
    await sendOtpCommand(rpc, { to: '+14155550100', idempotencyKey: 'k-1', idempotencyKeyMinted: true });
    expect(forwarded[0]).toEqual({ to: '+14155550100', idempotencyKey: 'k-1' });
  });
});
