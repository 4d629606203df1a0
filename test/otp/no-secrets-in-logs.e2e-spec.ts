import { http } from '../support/http';
import { createAccount, readCode, sendBody, uniqueNumber, wrongCode } from '../support/otp-helpers';
import { startStack, type Stack } from '../support/stack';

describe('logs never carry a code, a token, a secret or a full destination', () => {
  const lines: string[] = [];
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      env: { LOG_LEVEL: 'trace', DEFAULT_LIMIT_MAX: '100' },
      logStream: { write: (line: string) => lines.push(line) },
    });
  });
  afterAll(() => stack?.stop());

  it('through a whole session, errors included', async () => {
    const auth = await createAccount(stack);
    const to = uniqueNumber();
    // 12 digits: a shorter code could turn up in a uuid or a timestamp by chance.
    const sent = await http(stack.url, 'POST', '/2fa/send', {
      auth,
      body: sendBody(to, { length: 12 }),
      headers: { 'idempotency-key': 'k1' },
    });
    const requestId = sent.body.requestID as string;
    const code = await readCode(stack, auth, to, requestId);
    await http(stack.url, 'POST', '/2fa/verify', { auth, body: { requestId, code: wrongCode(code) } });
    await http(stack.url, 'POST', '/2fa/verify', { auth, body: { service: '2FA', number: to, code } });
    await http(stack.url, 'POST', '/2fa/cancel', { auth, body: { requestId } });
    await http(stack.url, 'POST', '/2fa/send', { auth, body: { ...sendBody(to), length: 'x' } });
    await http(stack.url, 'POST', '/2fa/send', { auth: { ...auth, authToken: 'wrong' }, body: sendBody(to) });
    await http(stack.url, 'POST', '/otp/generate', {
      headers: { 'api-login': auth.accountSid, 'api-key': auth.authToken },
      body: { phone_number: to, text: 'x', sender: 'ACME' },
    });

    // The log is not empty: the checks below would pass vacuously otherwise.
    expect(lines.some((l) => l.includes('"sms sent (log provider)"'))).toBe(true);
    expect(lines.some((l) => l.includes(requestId))).toBe(true);
    const log = lines.join('\n');
    expect(log).not.toContain(code);
    expect(log).not.toContain(auth.authToken);
    expect(log).not.toContain(stack.env.OTP_SECRET);
    expect(log).not.toContain(to);
    expect(log).not.toContain(to.slice(1));
  });
});
