import { deliveryEventId } from './delivery-status.publisher';

describe('delivery status event ids', () => {
  it('are UUID-shaped and the same for the same dispatch, status and attempt only', () => {
    const id = deliveryEventId('OTPabc-1', 'sent', 1);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deliveryEventId('OTPabc-1', 'sent', 1)).toBe(id);
    expect(
      new Set([
        id,
        deliveryEventId('OTPabc-1', 'sent', 2),
        deliveryEventId('OTPabc-1', 'delivered', 1),
        deliveryEventId('OTPabc-2', 'sent', 1),
      ]).size,
    ).toBe(4);
  });
});
