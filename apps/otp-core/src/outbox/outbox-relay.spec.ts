import { type OtpEventData, statusCallbackMsgId, Subjects } from '@app/contracts';
import { OutboxWriter } from './outbox';
import { statusCallbackCopyOf } from './outbox-relay';

/** Which outbox rows the relay publishes a second time, for the status callbacks alone. */
const now = new Date('2026-11-22T09:00:00.000Z');
const data: OtpEventData = {
  requestId: 'OTP0123456789abcdef0123456789abcdef',
  accountSid: 'AC0123456789abcdef0123456789abcdef',
  parentAccountSid: null,
  service: '2FA',
  channel: 'sms',
  to: '+14155552671',
  status: 'pending',
  createdAt: now.toISOString(),
  expiresAt: now.toISOString(),
};

describe('statusCallbackCopyOf', () => {
  it('copies an event of a request with a callback onto otp.v1.status_callbacks.<type>, under a derived id', () => {
    const [row] = new OutboxWriter(now).event('dispatched', { ...data, hasStatusCallback: true }).pending;
    expect(statusCallbackCopyOf(row)).toEqual({
      subject: Subjects.statusCallbackEvent('dispatched'),
      msgId: statusCallbackMsgId(row.msgId),
    });
    expect(statusCallbackMsgId(row.msgId)).not.toBe(row.msgId);
  });

  it('copies nothing of a request without a callback', () => {
    const [row] = new OutboxWriter(now).event('created', { ...data, hasStatusCallback: false }).pending;
    expect(statusCallbackCopyOf(row)).toBeUndefined();
  });

  it('copies an event that does not say (written by an older version): the consumer looks the URL up', () => {
    const [row] = new OutboxWriter(now).event('verified', data).pending;
    expect(statusCallbackCopyOf(row)?.subject).toBe('otp.v1.status_callbacks.verified');
  });

  it('never copies a dispatch message, which carries the code', () => {
    const row = new OutboxWriter(now).add(Subjects.dispatch('sms'), 'OTPx-1', {
      dispatchId: 'OTPx-1',
      hasStatusCallback: true,
      text: 'Code: 123456',
    }).pending[0];
    expect(statusCallbackCopyOf(row)).toBeUndefined();
  });
});
