import { type CommandReply, DomainError, ErrorCode } from '@app/contracts';
import type { NatsRpcClient } from '@app/platform';
import { randomUUID } from 'node:crypto';

/**
 * Sends a code through otp-core under an idempotency key: the caller's `Idempotency-Key`, or
 * one the gateway makes for this send. If no answer comes in time after the command left, the
 * send may have been carried out: the answer is 457 with the key, so that the caller can retry
 * with it and get what the first one did (or have it done once), never a second code.
 */
export async function sendOtpCommand(
  rpc: NatsRpcClient,
  payload: Record<string, unknown> & { idempotencyKey?: string },
): Promise<CommandReply<'otp.v1.send'>> {
  const minted = payload.idempotencyKey === undefined;
  const idempotencyKey = payload.idempotencyKey ?? `gw-${randomUUID()}`;
  // The body is the caller's, checked by otp-core on receipt: an untyped forward (see NatsRpcClient.forward).
  // `idempotencyKeyMinted` is the gateway's to say, never the body's (undefined: not sent).
  const reply = await rpc.forward('otp.v1.send', {
    ...payload,
    idempotencyKey,
    idempotencyKeyMinted: minted || undefined,
  });
  return reply.code === ErrorCode.OutcomeUnknown ? { ...reply, idempotencyKey } : reply;
}

/** The `Idempotency-Key` header, checked (1–255 characters). */
export function idempotencyKeyHeader(value: string | undefined): string | undefined {
  if (value !== undefined && (value.length < 1 || value.length > 255)) {
    throw new DomainError(ErrorCode.BadRequest, 'Idempotency-Key must be 1 to 255 characters', {
      field: 'Idempotency-Key',
    });
  }
  return value;
}
