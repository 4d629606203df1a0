import type { ProviderReceipt } from '@app/dispatch';

/** SMPP 3.4 message_state values (section 5.2.28), as an SMSC may send them in the TLV. */
const STATE_NAMES: Record<number, string> = {
  1: 'ENROUTE',
  2: 'DELIVRD',
  3: 'EXPIRED',
  4: 'DELETED',
  5: 'UNDELIV',
  6: 'ACCEPTD',
  7: 'UNKNOWN',
  8: 'REJECTD',
};

/** Final states and what they mean to us; ENROUTE and ACCEPTD are not final and say nothing. */
const FINAL: Record<string, ProviderReceipt['status']> = {
  DELIVRD: 'delivered',
  UNDELIV: 'undelivered',
  EXPIRED: 'undelivered',
  DELETED: 'undelivered',
  UNKNOWN: 'undelivered',
  REJECTD: 'failed',
};

/**
 * A delivery receipt (deliver_sm with esm_class "MC delivery receipt") as a status of one
 * message: the id from the `receipted_message_id` TLV or the text's `id:`, the state from the
 * `message_state` TLV or the text's `stat:` (Appendix B format), the network error from `err:`.
 * Null when it is not a final state.
 */
export function parseDeliveryReceipt(
  text: string,
  tlv: { receiptedMessageId?: string; messageState?: number },
): ProviderReceipt | null {
  const id = tlv.receiptedMessageId || /\bid:(\S+)/i.exec(text)?.[1];
  const stat =
    (tlv.messageState !== undefined ? STATE_NAMES[tlv.messageState] : undefined) ??
    /\bstat:(\w+)/i.exec(text)?.[1]?.toUpperCase();
  if (!id || !stat) return null;
  const status = FINAL[stat];
  if (!status) return null;
  const err = /\berr:(\w+)/i.exec(text)?.[1];
  const error =
    status === 'delivered'
      ? undefined
      : { code: `smpp_${stat.toLowerCase()}`, message: `SMSC receipt ${stat}${err ? ` err:${err}` : ''}` };
  return { providerMessageId: id, status, error };
}
