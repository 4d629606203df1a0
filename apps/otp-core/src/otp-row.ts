import type { OtpEventData } from '@app/contracts';
import { OtpRequestEntity } from './otp-request.entity';

/** A request's columns as otp-core works with them (the code hash only where asked for). */
export type OtpRow = OtpRequestEntity;

export function eventData(r: OtpRow): OtpEventData {
  return {
    requestId: r.id,
    accountSid: r.accountSid,
    parentAccountSid: r.parentAccountSid,
    service: r.service,
    channel: r.channel,
    to: r.destination,
    from: r.from,
    status: r.status,
    recipientIp: r.recipientIp,
    createdAt: r.createdAt.toISOString(),
    expiresAt: r.expiresAt.toISOString(),
  };
}
