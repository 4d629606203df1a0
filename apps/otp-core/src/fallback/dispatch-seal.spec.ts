import type { DispatchMessage } from '@app/contracts';
import { DispatchSeal } from './dispatch-seal';

const message: DispatchMessage = {
  dispatchId: 'OTP0123456789abcdef0123456789abcdef-2',
  requestId: 'OTP0123456789abcdef0123456789abcdef',
  accountSid: 'AC0123456789abcdef0123456789abcdef',
  channel: 'call',
  from: '+14155550000',
  to: '+14155552671',
  text: 'Your code is 123456',
  maskedText: 'Your code is ******',
  expiresAt: '2026-01-01T00:05:00.000Z',
  createdAt: '2026-01-01T00:00:00.000Z',
};

describe('DispatchSeal', () => {
  const seal = new DispatchSeal('s'.repeat(64));

  it('opens what it sealed, and the sealed text does not hold the code', () => {
    const sealed = seal.seal(message);
    expect(sealed).not.toContain('123456');
    expect(Buffer.from(sealed.slice(3), 'base64').toString('latin1')).not.toContain('123456');
    expect(seal.open(message.dispatchId, sealed)).toEqual(message);
  });

  it('seals the same message differently each time (random IV)', () => {
    expect(seal.seal(message)).not.toBe(seal.seal(message));
  });

  it('refuses another dispatch id, another secret, or an altered text', () => {
    const sealed = seal.seal(message);
    expect(() => seal.open(`${message.requestId}-3`, sealed)).toThrow();
    expect(() => new DispatchSeal('t'.repeat(64)).open(message.dispatchId, sealed)).toThrow();
    const raw = Buffer.from(sealed.slice(3), 'base64');
    raw[raw.length - 1] ^= 1;
    expect(() => seal.open(message.dispatchId, `v1.${raw.toString('base64')}`)).toThrow();
    expect(() => seal.open(message.dispatchId, 'v0.abc')).toThrow();
  });
});
