import { parseSnsMessage, SNS_URL_PATTERN, SnsSignatureVerifier, snsStringToSign } from './sns-message';

describe('SNS messages', () => {
  const base = {
    MessageId: 'id-1',
    TopicArn: 'arn:aws:sns:eu-west-1:123456789012:t',
    Message: 'hello\nworld',
    Timestamp: '2026-12-02T00:00:00.000Z',
    SignatureVersion: '2',
    Signature: 'c2ln',
    SigningCertURL: 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem',
  };

  it('signs a notification’s fields in SNS’s order, Subject only when there is one', () => {
    const n = { ...base, Type: 'Notification' as const };
    expect(snsStringToSign(n)).toBe(
      'Message\nhello\nworld\nMessageId\nid-1\nTimestamp\n2026-12-02T00:00:00.000Z\nTopicArn\narn:aws:sns:eu-west-1:123456789012:t\nType\nNotification\n',
    );
    expect(snsStringToSign({ ...n, Subject: 'S' })).toContain('MessageId\nid-1\nSubject\nS\nTimestamp\n');
  });

  it('signs a confirmation’s SubscribeURL and Token', () => {
    const c = { ...base, Type: 'SubscriptionConfirmation' as const, Token: 'tok', SubscribeURL: 'https://sns.x/' };
    expect(snsStringToSign(c)).toBe(
      'Message\nhello\nworld\nMessageId\nid-1\nSubscribeURL\nhttps://sns.x/\nTimestamp\n2026-12-02T00:00:00.000Z\nToken\ntok\nTopicArn\narn:aws:sns:eu-west-1:123456789012:t\nType\nSubscriptionConfirmation\n',
    );
  });

  it('reads only complete SNS documents', () => {
    expect(parseSnsMessage(Buffer.from(JSON.stringify({ ...base, Type: 'Notification' })))).toBeDefined();
    expect(parseSnsMessage(Buffer.from(JSON.stringify({ ...base, Type: 'SubscriptionConfirmation' })))).toBeUndefined();
    expect(parseSnsMessage(Buffer.from(JSON.stringify({ ...base, Type: 'Other' })))).toBeUndefined();
    expect(parseSnsMessage(Buffer.from('not json'))).toBeUndefined();
  });

  it('trusts only HTTPS URLs on SNS’s own hosts by default', () => {
    const v = new SnsSignatureVerifier(SNS_URL_PATTERN, 1000);
    expect(v.trusts('https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-a.pem')).toBe(true);
    expect(v.trusts('https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-a.pem')).toBe(true);
    for (const url of [
      'http://sns.eu-west-1.amazonaws.com/x.pem',
      'https://sns.eu-west-1.amazonaws.com.evil.example/x.pem',
      'https://evil.example/sns.eu-west-1.amazonaws.com/x.pem',
      'https://sns.eu-west-1.amazonaws.com@evil.example/x.pem',
    ])
      expect(v.trusts(url)).toBe(false);
  });

  it('refuses an unknown signature version or an untrusted certificate without fetching', async () => {
    const v = new SnsSignatureVerifier(SNS_URL_PATTERN, 1000);
    const n = { ...base, Type: 'Notification' as const };
    await expect(v.verify({ ...n, SignatureVersion: '3' })).resolves.toBe(false);
    await expect(v.verify({ ...n, SigningCertURL: 'https://evil.example/c.pem' })).resolves.toBe(false);
  });
});
