import { effectiveStatus } from './otp.service';

describe('effective status', () => {
  const t0 = new Date('2026-01-01T00:00:00Z');
  const at = (s: number) => new Date(t0.getTime() + s * 1000);
  const pending = { status: 'pending' as const, expiresAt: at(300), guardUntil: null };

  it('holds expiry to the second', () => {
    expect(effectiveStatus(pending, at(299.999))).toBe('pending');
    expect(effectiveStatus(pending, at(300))).toBe('expired');
  });

  it('cancels a superseded request when its guard time ends, before its expiry', () => {
    const guarded = { ...pending, guardUntil: at(30) };
    expect(effectiveStatus(guarded, at(29))).toBe('pending');
    expect(effectiveStatus(guarded, at(30))).toBe('canceled');
  });

  it('keeps a final status as stored', () => {
    expect(effectiveStatus({ ...pending, status: 'verified' }, at(1000))).toBe('verified');
    expect(effectiveStatus({ ...pending, status: 'failed' }, at(1))).toBe('failed');
  });
});
