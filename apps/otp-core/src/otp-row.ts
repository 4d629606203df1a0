import type { OtpEventData, OtpStatus } from '@app/contracts';
import { OtpRequestEntity } from './otp-request.entity';

/** Columns of a request as read back for decisions (never the hash unless asked). */
export type OtpRow = OtpRequestEntity;

/** Status as of `now`: expiry and guard time hold to the second, sweeper or not. */
export function effectiveStatus(r: Pick<OtpRow, 'status' | 'expiresAt' | 'guardUntil'>, now: Date): OtpStatus {
  if (r.status !== 'pending') return r.status;
  if (r.guardUntil && r.guardUntil.getTime() <= now.getTime()) return 'canceled';
  if (r.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'pending';
}

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

/** Columns returned by raw UPDATEs, mapped back with {@link fromRaw}. */
export const RETURNING =
  'id, account_sid, parent_account_sid, service, channel, from_address, destination, status, status_reason, attempts, max_attempts, created_at, expires_at, guard_until, ended_at, recipient_ip';

export interface OtpRowRaw {
  id: string;
  account_sid: string;
  parent_account_sid: string | null;
  service: string;
  channel: OtpRow['channel'];
  from_address: string;
  destination: string;
  status: OtpStatus;
  status_reason: string | null;
  attempts: number;
  max_attempts: number;
  created_at: Date;
  expires_at: Date;
  guard_until: Date | null;
  ended_at: Date | null;
  recipient_ip: string | null;
}

export function fromRaw(r: OtpRowRaw): OtpRow {
  return Object.assign(new OtpRequestEntity(), {
    id: r.id,
    accountSid: r.account_sid,
    parentAccountSid: r.parent_account_sid,
    service: r.service,
    channel: r.channel,
    from: r.from_address,
    destination: r.destination,
    status: r.status,
    statusReason: r.status_reason,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    guardUntil: r.guard_until,
    endedAt: r.ended_at,
    recipientIp: r.recipient_ip,
  });
}
