import {
  type Channel,
  type DispatchMessage,
  dispatchIdOf,
  resolveFallbackStep,
  type SendOtpCommand,
} from '@app/contracts';
import { renderBody } from '../otp-code';
import type { OtpRequestEntity } from '../otp-request.entity';

/** One dispatch of a request: the first (`seq` 1) or a fallback step. */
export interface PlannedDispatch {
  seq: number;
  /** Seconds after the previous dispatch went out (0 for the first). */
  after: number;
  message: DispatchMessage;
}

interface MessageSpec {
  channel: Channel;
  from: string;
  to: string;
  body: string;
  subject?: string;
  language?: string;
  voice?: 'man' | 'woman';
  repeat?: number;
}

/**
 * Every message the request may send, rendered with its code: the first one, then one per
 * fallback step (destination, sender and body defaulted from the request, as validated).
 */
export function planDispatches(
  row: OtpRequestEntity,
  command: SendOtpCommand,
  code: string,
  now: Date,
): PlannedDispatch[] {
  const first: MessageSpec = {
    channel: command.channel,
    from: row.from,
    to: row.destination,
    body: command.body,
    subject: command.subject,
    language: command.language,
    voice: command.voice,
    repeat: command.repeat,
  };
  const steps = (command.fallback ?? []).map((step) => {
    const r = resolveFallbackStep(command, step);
    // Validation guarantees both once defaults are applied.
    return { after: r.after, spec: { ...r, to: r.to!, from: r.from! } as MessageSpec };
  });
  return [{ after: 0, spec: first }, ...steps].map(({ after, spec }, i) => ({
    seq: i + 1,
    after,
    message: render(row, i + 1, spec, code, now),
  }));
}

function render(row: OtpRequestEntity, seq: number, spec: MessageSpec, code: string, now: Date): DispatchMessage {
  const call = spec.channel === 'call';
  return {
    dispatchId: dispatchIdOf(row.id, seq),
    requestId: row.id,
    accountSid: row.accountSid,
    parentAccountSid: row.parentAccountSid ?? undefined,
    channel: spec.channel,
    from: spec.from,
    to: spec.to,
    text: renderBody(spec.body, code),
    maskedText: renderBody(spec.body, '*'.repeat(code.length)),
    subject: spec.channel === 'email' ? spec.subject : undefined,
    language: call ? spec.language : undefined,
    voice: call ? spec.voice : undefined,
    repeat: call ? (spec.repeat ?? 1) : undefined,
    expiresAt: row.expiresAt.toISOString(),
    createdAt: now.toISOString(),
  };
}
