import { SendOtpCommand } from '@app/contracts';
import { OtpRequestEntity } from '../otp-request.entity';
import { planDispatches } from './dispatch-plan';

const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
const ID = 'OTP0123456789abcdef0123456789abcdef';
const now = new Date('2026-01-01T00:00:00Z');

function plan(input: Record<string, unknown>) {
  const command = SendOtpCommand.parse({ accountSid: ACCOUNT, service: '2FA', body: 'Code {code}', ...input });
  const row = Object.assign(new OtpRequestEntity(), {
    id: ID,
    accountSid: ACCOUNT,
    parentAccountSid: null,
    from: command.from,
    destination: command.to,
    channel: command.channel,
    expiresAt: new Date(now.getTime() + 300_000),
  });
  return planDispatches(row, command, '4821', now);
}

describe('planDispatches', () => {
  it('renders the first dispatch and one per step, numbered, with the same code and expiry', () => {
    const dispatches = plan({
      from: '+14155550000',
      to: '+1 415 555 2671',
      fallback: [
        { channel: 'call', after: 60, voice: 'female', language: 'en-GB' },
        {
          channel: 'email',
          to: 'Jane@Example.com',
          from: 'otp@example.com',
          subject: 'Your code',
          body: 'Use {code} to sign in',
          after: 120,
        },
      ],
    });
    expect(dispatches.map((d) => [d.seq, d.after, d.message.dispatchId, d.message.channel, d.message.to])).toEqual([
      [1, 0, `${ID}-1`, 'sms', '+14155552671'],
      [2, 60, `${ID}-2`, 'call', '+14155552671'],
      [3, 120, `${ID}-3`, 'email', 'jane@example.com'],
    ]);
    expect(dispatches.map((d) => d.message.text)).toEqual(['Code 4821', 'Code 4821', 'Use 4821 to sign in']);
    expect(dispatches.map((d) => d.message.maskedText)).toEqual(['Code ****', 'Code ****', 'Use **** to sign in']);
    expect(dispatches[1].message).toMatchObject({
      from: '+14155550000',
      voice: 'woman',
      language: 'en-GB',
      repeat: 1,
      subject: undefined,
    });
    expect(dispatches[2].message).toMatchObject({
      from: 'otp@example.com',
      subject: 'Your code',
      voice: undefined,
      repeat: undefined,
    });
    expect(new Set(dispatches.map((d) => d.message.expiresAt))).toEqual(new Set(['2026-01-01T00:05:00.000Z']));
  });

  it('keeps the email subject for an email step after an email, and nothing else of another channel', () => {
    const [first, second] = plan({
      channel: 'email',
      from: 'otp@example.com',
      to: 'a@example.com',
      subject: 'S',
      fallback: [{ channel: 'email', to: 'b@example.com', after: 30 }],
    });
    expect(first.message).toMatchObject({ subject: 'S', repeat: undefined });
    expect(second.message).toMatchObject({ to: 'b@example.com', from: 'otp@example.com', subject: 'S' });
  });
});
