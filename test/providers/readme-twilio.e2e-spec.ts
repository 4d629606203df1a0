import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { eventually } from '../support/eventually';
import { http } from '../support/http';
import { createAccount } from '../support/otp-helpers';
import { type Stack, startStack } from '../support/stack';
import { FakeTwilio } from '../support/vendors/fake-twilio';
import { writeProvidersFile } from './provider-helpers';

/** The README's section under this heading, up to the next heading of its level or above. */
function readmeSection(heading: string): string {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const start = readme.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README has no "${heading}"`);
  const rest = readme.slice(start + heading.length + 2);
  const next = rest.search(/^#{2,3} /m);
  return next < 0 ? rest : rest.slice(0, next);
}

/** The fenced code blocks of a Markdown text, dedented by their fence's indentation. */
function codeBlocks(markdown: string): { lang: string; text: string }[] {
  return [...markdown.matchAll(/^( *)```(\w*)\n([\s\S]*?)^ *```$/gm)].map(([, indent, lang, text]) => ({
    lang,
    text: text
      .split('\n')
      .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line))
      .join('\n'),
  }));
}

/** What the README's Twilio walkthrough tells a newcomer to write, set and run. */
function twilioWalkthrough() {
  const blocks = codeBlocks(readmeSection('### Twilio (SMS and voice)'));
  const json = blocks.filter((b) => b.lang === 'json');
  expect(json).toHaveLength(1);
  const shell = blocks
    .filter((b) => b.lang === 'sh')
    .map((b) => b.text)
    .join('\n');
  const start = blocks.find((b) => b.lang === 'sh' && /^npm start$/m.test(b.text));
  if (!start) throw new Error('the Twilio section has no block that runs `npm start`');
  const env = Object.fromEntries(
    [...start.text.matchAll(/^export ([A-Z_][A-Z0-9_]*)=(\S+)$/gm)].map((m) => [m[1], m[2]]),
  );
  /** `curl … http://localhost:3000<path> \ -d '<json>'`, by path. */
  const posts = Object.fromEntries(
    [...shell.matchAll(/^curl [^\n]* http:\/\/localhost:3000(\/\S+) \\\n\s+-d '([^']*)'$/gm)].map((m) => [
      m[1],
      JSON.parse(m[2]) as Record<string, unknown>,
    ]),
  );
  const sdr = /^curl -s -u "\$SID:\$TOKEN" http:\/\/localhost:3000(\/\S+\/)OTP…$/m.exec(shell);
  if (!sdr) throw new Error('the Twilio section does not show how to read the session detail record');
  return { providersFile: json[0].text, env, posts, sdrPath: sdr[1] };
}

/**
 * The README's Twilio section followed to the letter, as a newcomer would, against a local
 * server that speaks Twilio's API: its providers file and settings (only `baseUrl` added, the
 * placeholders replaced by the stand-in's credentials), its send, the code from what "Twilio"
 * received, its verify, and a signed status callback that turns into `delivered`. A README
 * change that breaks the walkthrough fails here.
 */
describe('README: Twilio, followed to the letter', () => {
  const twilio = new FakeTwilio();
  const walkthrough = twilioWalkthrough();
  let stack: Stack;

  beforeAll(async () => {
    const twilioUrl = await twilio.start();
    const text = walkthrough.providersFile
      .replaceAll('ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', twilio.accountSid)
      .replaceAll('your_auth_token', twilio.authToken);
    const file = JSON.parse(text) as Record<string, Record<string, unknown>[]>;
    for (const entries of Object.values(file)) for (const entry of entries) entry.baseUrl = twilioUrl;
    // Every credential the file names is one the walkthrough tells the user to export.
    for (const [, name] of text.matchAll(/"\$\{([A-Z_][A-Z0-9_]*)\}"/g)) expect(walkthrough.env).toHaveProperty(name);
    const env = Object.fromEntries(
      Object.entries(walkthrough.env).map(([k, v]) => [k, v.replaceAll('your_auth_token', twilio.authToken)]),
    );
    env.PROVIDERS_FILE = writeProvidersFile(basename(walkthrough.env.PROVIDERS_FILE), JSON.stringify(file));
    // As `npm start` runs: no development outbox (the code is read from what Twilio got), the
    // fraud guard on, the default limit.
    stack = await startStack({ env: { ...env, DEV_OUTBOX: 'false', FRAUD_GUARD: 'true' } });
  });
  afterAll(async () => {
    await stack?.stop();
    await twilio.stop();
  });

  it('sends a code through Twilio that verifies, and Twilio’s signed report makes it delivered', async () => {
    const auth = await createAccount(stack);
    const send = walkthrough.posts['/2fa/send'];
    const verify = walkthrough.posts['/2fa/verify'];
    expect(send).toBeDefined();
    expect(verify).toMatchObject({ requestId: 'OTP…' });

    const sent = await http<{ code: number; requestID: string }>(stack.url, 'POST', '/2fa/send', { auth, body: send });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ code: 200, message: 'OK' });
    const requestId = sent.body.requestID;

    const to = send.to as string;
    const [message] = await eventually(() => {
      expect(twilio.createdFor(to)).toHaveLength(1);
      return twilio.createdFor(to);
    });
    const code = /\d{4,}/.exec(message.fields.Body)?.[0] as string;
    expect(message.fields).toEqual({
      To: to,
      From: JSON.parse(walkthrough.providersFile).sms[0].from,
      Body: (send.body as string).replace('{code}', code),
      StatusCallback: `${walkthrough.env.PUBLIC_URL}/2fa/callbacks/twilio`,
    });

    const verified = await http(stack.url, 'POST', '/2fa/verify', { auth, body: { ...verify, requestId, code } });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ code: 200, message: 'OK', requestID: requestId });

    // Twilio reports through the proxy at PUBLIC_URL, signed over that URL.
    expect(await twilio.statusCallback(stack.url, message, { MessageStatus: 'delivered' })).toMatchObject({
      status: 200,
      body: { code: 200, message: 'OK' },
    });
    const sdr = await eventually(async () => {
      const res = await http<{ data: { deliveryStatus: string; attempts: Record<string, unknown>[] } }>(
        stack.url,
        'GET',
        `${walkthrough.sdrPath}${requestId}`,
        { auth },
      );
      expect(res.body.data?.deliveryStatus).toBe('delivered');
      return res.body.data;
    }, 15_000);
    expect(sdr.attempts[0]).toMatchObject({ provider: 'twilio', providerMessageId: message.sid, status: 'delivered' });
  });
});
