import { reportOf } from './vendor-provider';

describe('reportOf', () => {
  const statuses = { delivered: 'delivered', expired: 'undelivered', rejected: 'failed' } as const;
  const error = { code: 'v_expired', message: 'Vendor reported expired' };

  it('maps a final status, with the vendor’s error unless delivered', () => {
    expect(reportOf({ providerMessageId: 'm1' }, statuses, 'delivered', error)).toEqual({
      kind: 'accepted',
      reports: [{ providerMessageId: 'm1', status: 'delivered' }],
    });
    expect(reportOf({ providerMessageId: 'm1', dispatchId: 'd1' }, statuses, 'expired', error)).toEqual({
      kind: 'accepted',
      reports: [{ providerMessageId: 'm1', dispatchId: 'd1', status: 'undelivered', error }],
    });
  });

  it('reports nothing for an interim or unknown status, inherited names included', () => {
    for (const status of ['buffered', undefined, 'constructor', '__proto__', 'toString'])
      expect(reportOf({ providerMessageId: 'm1' }, statuses, status, error)).toEqual({ kind: 'accepted', reports: [] });
  });
});
