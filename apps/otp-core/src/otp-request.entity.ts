import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { Channel, OtpStatus } from '@app/contracts';

/** One code sent to one destination, and what became of it. Owned by otp-core (schema `otp`). */
@Entity({ name: 'otp_requests' })
@Index('otp_requests_live_by_destination', ['accountSid', 'service', 'destination', 'createdAt'])
@Index('otp_requests_parent', ['parentAccountSid'])
export class OtpRequestEntity {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ name: 'account_sid', type: 'text' })
  accountSid!: string;

  @Column({ name: 'parent_account_sid', type: 'text', nullable: true })
  parentAccountSid!: string | null;

  @Column({ type: 'text' })
  service!: string;

  @Column({ type: 'text' })
  channel!: Channel;

  @Column({ name: 'from_address', type: 'text' })
  from!: string;

  @Column({ type: 'text' })
  destination!: string;

  /** HMAC-SHA256 of the code under the server secret, bound to the request id. Never the code. */
  @Column({ name: 'code_hash', type: 'text', select: false })
  codeHash!: string;

  @Column({ type: 'text' })
  status!: OtpStatus;

  @Column({ name: 'status_reason', type: 'text', nullable: true })
  statusReason!: string | null;

  /** Verify attempts counted so far (counted before the code is compared). */
  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ name: 'max_attempts', type: 'int' })
  maxAttempts!: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  /** Set when a newer send superseded this one with a guard time: valid until then, then canceled. */
  @Column({ name: 'guard_until', type: 'timestamptz', nullable: true })
  guardUntil!: Date | null;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt!: Date | null;

  @Column({ name: 'recipient_ip', type: 'text', nullable: true })
  recipientIp!: string | null;

  @Column({ name: 'idempotency_key', type: 'text', nullable: true })
  idempotencyKey!: string | null;

  @Column({ name: 'request_hash', type: 'text', nullable: true })
  requestHash!: string | null;

  /** Where the request's events are POSTed (statusCallback on send), if anywhere. */
  @Column({ name: 'status_callback', type: 'text', nullable: true })
  statusCallback!: string | null;
}
