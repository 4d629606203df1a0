import { parseDeliveryReceipt } from './delivery-receipt';

describe('SMPP delivery receipts', () => {
  const text = (stat: string, err = '000') =>
    `id:abc123 sub:001 dlvrd:001 submit date:2611231200 done date:2611231201 stat:${stat} err:${err} text:Your code`;

  it('maps DELIVRD to delivered, by text or by TLV', () => {
    expect(parseDeliveryReceipt(text('DELIVRD'), {})).toEqual({
      providerMessageId: 'abc123',
      status: 'delivered',
      error: undefined,
    });
    expect(parseDeliveryReceipt('', { receiptedMessageId: 'x9', messageState: 2 })).toEqual({
      providerMessageId: 'x9',
      status: 'delivered',
      error: undefined,
    });
  });

  it('maps UNDELIV, EXPIRED, DELETED and UNKNOWN to undelivered and REJECTD to failed, with the error', () => {
    for (const stat of ['UNDELIV', 'EXPIRED', 'DELETED', 'UNKNOWN'])
      expect(parseDeliveryReceipt(text(stat, '011'), {})?.status).toBe('undelivered');
    expect(parseDeliveryReceipt(text('REJECTD', '012'), {})).toEqual({
      providerMessageId: 'abc123',
      status: 'failed',
      error: { code: 'smpp_rejectd', message: 'SMSC receipt REJECTD err:012' },
    });
  });

  it('ignores states that are not final, and text that is no receipt', () => {
    expect(parseDeliveryReceipt(text('ENROUTE'), {})).toBeNull();
    expect(parseDeliveryReceipt(text('ACCEPTD'), {})).toBeNull();
    expect(parseDeliveryReceipt('hello', {})).toBeNull();
  });
});
