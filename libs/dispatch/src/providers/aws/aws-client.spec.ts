import { ProviderError } from '../../provider';
import { awsFailure } from './aws-client';

const serviceError = (name: string, status: number, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${name} happened to +447400123456`), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    ...extra,
  });

describe('awsFailure', () => {
  const permanent = new Set(['InvalidParameter', 'MessageRejected']);

  it('keeps the wire code (the Query protocol’s Code, else the name) and is permanent only for listed codes', () => {
    const sns = awsFailure(
      'sns',
      serviceError('InvalidParameterException', 400, { Code: 'InvalidParameter' }),
      permanent,
    );
    expect(sns).toMatchObject({ code: 'sns_InvalidParameter', permanent: true });
    expect(sns.message).not.toContain('7400123456');
    expect(awsFailure('ses', serviceError('MessageRejected', 400), permanent)).toMatchObject({
      code: 'ses_MessageRejected',
      permanent: true,
    });
    for (const [name, status] of [
      ['AuthorizationError', 403],
      ['Throttling', 400],
      ['InternalFailure', 500],
      ['AccountSuspendedException', 400],
    ] as const)
      expect(awsFailure('ses', serviceError(name, status), permanent)).toMatchObject({ permanent: false });
  });

  it('is transient when nothing answered', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(awsFailure('sns', refused, permanent)).toMatchObject({ code: 'provider_unreachable', permanent: false });
    const timedOut = Object.assign(new Error('socket timed out'), { name: 'TimeoutError' });
    expect(awsFailure('sns', timedOut, permanent)).toMatchObject({ code: 'timeout', permanent: false });
    const ours = new ProviderError('timeout', 'provider did not answer within 10 ms', false);
    expect(awsFailure('ses', ours, permanent)).toBe(ours);
  });
});
