import type { z } from 'zod';
import {
  CancelOtpRequest,
  limitRefs,
  SendOtpCommand,
  SendOtpRequest,
  VerifyOtpCommand,
  VerifyOtpRequest,
} from './otp.commands';
import { firstIssue } from './validation';

const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
const REQUEST = 'OTP0123456789abcdef0123456789abcdef';

/** The smallest valid send (SPEC 3.1). */
const minimalSend = { service: '2FA', from: 'ACME', to: '+14155552671', body: 'Your code is {code}' };
/** A voice call: the sender must be a number. */
const callSend = { ...minimalSend, channel: 'call', from: '+14155550000' };
const emailSend = {
  service: '2FA',
  channel: 'email',
  from: 'no-reply@example.com',
  to: 'jane@example.com',
  subject: 'Your code',
  body: 'Your code is {code}',
};

/** The parsed value; fails the test with the first issue when the input is refused. */
function accepted<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new Error(`refused: ${firstIssue(result.error, input).message}`);
  return result.data;
}

/** The field and sentence a client is told about the first problem of a refused input. */
function refused(schema: z.ZodType, input: unknown): { field: string; message: string } {
  const result = schema.safeParse(input);
  if (result.success) throw new Error(`accepted: ${JSON.stringify(result.data)}`);
  return firstIssue(result.error, input);
}

const without = <T extends object>(value: T, key: keyof T) => {
  const copy = { ...value };
  delete copy[key];
  return copy;
};

describe('SendOtpRequest', () => {
  it('accepts the minimal send and defaults the channel to sms', () => {
    const send = accepted(SendOtpRequest, minimalSend);
    expect(send).toMatchObject({ ...minimalSend, channel: 'sms' });
    // Unset options stay unset: the service applies its own defaults (length 6, timeout 300 …).
    expect(send.length).toBeUndefined();
    expect(send.timeout).toBeUndefined();
  });

  it.each(['service', 'from', 'to', 'body'] as const)('refuses a send without %s, naming it', (field) => {
    expect(refused(SendOtpRequest, without(minimalSend, field))).toEqual({ field, message: `${field} is required` });
  });

  it('refuses blank and over-long services', () => {
    expect(refused(SendOtpRequest, { ...minimalSend, service: '   ' }).field).toBe('service');
    expect(refused(SendOtpRequest, { ...minimalSend, service: 'x'.repeat(65) }).field).toBe('service');
    expect(accepted(SendOtpRequest, { ...minimalSend, service: 'x'.repeat(64) }).service).toHaveLength(64);
  });

  it('refuses a body without {code}', () => {
    expect(refused(SendOtpRequest, { ...minimalSend, body: 'Your code is' })).toEqual({
      field: 'body',
      message: 'body must contain {code}',
    });
  });

  it('limits the body to 1224 characters for sms and call, 10,000 for email', () => {
    const body = (n: number) => `{code}${'x'.repeat(n - 6)}`;
    expect(accepted(SendOtpRequest, { ...minimalSend, body: body(1224) }).body).toHaveLength(1224);
    expect(refused(SendOtpRequest, { ...minimalSend, body: body(1225) }).field).toBe('body');
    expect(accepted(SendOtpRequest, { ...emailSend, body: body(10_000) }).body).toHaveLength(10_000);
    expect(refused(SendOtpRequest, { ...emailSend, body: body(10_001) }).field).toBe('body');
  });

  it('refuses an unknown channel, naming the channels', () => {
    expect(refused(SendOtpRequest, { ...minimalSend, channel: 'fax' })).toEqual({
      field: 'channel',
      message: 'channel must be one of sms, call, email',
    });
  });

  it.each([
    ['too short to be valid', '+1555'],
    ['not E.164 (no +)', '14155552671'],
    ['national form', '(415) 555-2671'],
    ['no number at all', 'jane@example.com'],
    ['E.164 shaped but not an assigned range', '+10005550123'],
  ])('refuses a destination number that is %s: %s', (_, to) => {
    expect(refused(SendOtpRequest, { ...minimalSend, to }).field).toBe('to');
  });

  it('accepts a valid number written with spaces and dashes, and stores it normalised', () => {
    expect(accepted(SendOtpRequest, { ...minimalSend, to: '+1 (415) 555-2671' }).to).toBe('+14155552671');
    expect(accepted(SendOtpRequest, { ...minimalSend, to: '+44 7911 123456' }).to).toBe('+447911123456');
  });

  describe('email channel', () => {
    it('accepts an email send and stores the address in lower case', () => {
      expect(accepted(SendOtpRequest, { ...emailSend, to: 'Jane@Example.com' }).to).toBe('jane@example.com');
    });

    it('requires a subject', () => {
      expect(refused(SendOtpRequest, without(emailSend, 'subject'))).toEqual({
        field: 'subject',
        message: 'subject is required for the email channel',
      });
    });

    it('requires email addresses for to and from', () => {
      expect(refused(SendOtpRequest, { ...emailSend, to: '+14155552671' }).field).toBe('to');
      expect(refused(SendOtpRequest, { ...emailSend, from: 'ACME' }).field).toBe('from');
    });
  });

  describe('sender', () => {
    it('allows a 3-11 character alphanumeric sender ID for sms', () => {
      expect(accepted(SendOtpRequest, { ...minimalSend, from: 'ACM' }).from).toBe('ACM');
      expect(accepted(SendOtpRequest, { ...minimalSend, from: 'Acme2FA1234' }).from).toBe('Acme2FA1234');
      expect(refused(SendOtpRequest, { ...minimalSend, from: 'AC' }).field).toBe('from');
      expect(refused(SendOtpRequest, { ...minimalSend, from: 'Acme2FA12345' }).field).toBe('from');
      expect(refused(SendOtpRequest, { ...minimalSend, from: 'Acme 2FA' }).field).toBe('from');
    });

    it('requires a phone number as the caller of a voice call', () => {
      expect(refused(SendOtpRequest, { ...minimalSend, channel: 'call', from: 'ACME' })).toEqual({
        field: 'from',
        message: 'from must be a valid phone number in E.164 form',
      });
      expect(accepted(SendOtpRequest, { ...minimalSend, channel: 'call', from: '+14155552672' }).channel).toBe('call');
    });
  });

  describe('code length', () => {
    it.each(['length', 'codeLength'] as const)('accepts %s from 4 to 32 and refuses 3 and 33', (field) => {
      expect(accepted(SendOtpRequest, { ...minimalSend, [field]: 4 })[field]).toBe(4);
      expect(accepted(SendOtpRequest, { ...minimalSend, [field]: 32 })[field]).toBe(32);
      expect(refused(SendOtpRequest, { ...minimalSend, [field]: 3 })).toEqual({
        field,
        message: `${field} must be at least 4`,
      });
      expect(refused(SendOtpRequest, { ...minimalSend, [field]: 33 })).toEqual({
        field,
        message: `${field} must be at most 32`,
      });
    });

    it('refuses a fractional or non-numeric length', () => {
      expect(refused(SendOtpRequest, { ...minimalSend, length: 6.5 }).field).toBe('length');
      expect(refused(SendOtpRequest, { ...minimalSend, length: 'six' }).field).toBe('length');
    });
  });

  it('accepts numbers given as numeric strings (as the seed sends them)', () => {
    const send = accepted(SendOtpRequest, {
      ...callSend,
      length: '8',
      timeout: '600',
      maxWrongAttempts: '3',
      repeat: '2',
    });
    expect(send).toMatchObject({ length: 8, timeout: 600, maxWrongAttempts: 3, repeat: 2 });
    expect(accepted(SendOtpRequest, { ...minimalSend, validityPeriod: ' 90 ' }).validityPeriod).toBe(90);
  });

  it.each([
    ['timeout', 29, 30, 86_400, 86_401],
    ['validityPeriod', 29, 30, 86_400, 86_401],
    ['maxWrongAttempts', 0, 1, 20, 21],
    ['repeat', 0, 1, 5, 6],
  ] as const)('bounds %s: refuses %i, accepts %i and %i, refuses %i', (field, below, min, max, above) => {
    expect(refused(SendOtpRequest, { ...callSend, [field]: below }).field).toBe(field);
    expect(accepted(SendOtpRequest, { ...callSend, [field]: min })[field]).toBe(min);
    expect(accepted(SendOtpRequest, { ...callSend, [field]: max })[field]).toBe(max);
    expect(refused(SendOtpRequest, { ...callSend, [field]: above }).field).toBe(field);
  });

  it('normalises the voice: male to man, female to woman', () => {
    expect(accepted(SendOtpRequest, { ...callSend, voice: 'male' }).voice).toBe('man');
    expect(accepted(SendOtpRequest, { ...callSend, voice: 'female' }).voice).toBe('woman');
    expect(accepted(SendOtpRequest, { ...callSend, voice: 'woman' }).voice).toBe('woman');
    expect(refused(SendOtpRequest, { ...callSend, voice: 'robot' })).toEqual({
      field: 'voice',
      message: 'voice must be man, woman, male or female',
    });
  });

  it('accepts a bare locale or engine.locale as the language, nothing else', () => {
    expect(accepted(SendOtpRequest, { ...callSend, language: 'en-US' }).language).toBe('en-US');
    expect(accepted(SendOtpRequest, { ...callSend, language: 'awspolly.ja-JP' }).language).toBe('awspolly.ja-JP');
    for (const language of ['english', 'en_US', 'EN-us', 'awspolly.', 'en-US; DROP']) {
      expect(refused(SendOtpRequest, { ...callSend, language }).field).toBe('language');
    }
  });

  describe('alphabet switches', () => {
    it('accepts booleans and their string forms', () => {
      const send = accepted(SendOtpRequest, { ...minimalSend, allowDigits: 'false', allowUpperCase: 'true' });
      expect(send).toMatchObject({ allowDigits: false, allowUpperCase: true });
    });

    it('refuses all four switched off: there would be no alphabet', () => {
      const none = { allowDigits: false, allowUpperCase: false, allowLowerCase: false, allowSpecialChars: false };
      expect(refused(SendOtpRequest, { ...minimalSend, ...none }).field).toBe('allowDigits');
      // Switching off only some keeps a valid alphabet.
      expect(accepted(SendOtpRequest, { ...minimalSend, ...none, allowLowerCase: true }).allowLowerCase).toBe(true);
    });

    it('refuses a switch that is not a boolean', () => {
      expect(refused(SendOtpRequest, { ...minimalSend, allowDigits: 'yes' }).field).toBe('allowDigits');
    });
  });

  it('keeps the order of limits given as an object or as a JSON string', () => {
    expect(accepted(SendOtpRequest, { ...minimalSend, limits: { perIp: '10.0.0.1', perUser: 'u-1' } }).limits).toEqual([
      { name: 'perIp', key: '10.0.0.1' },
      { name: 'perUser', key: 'u-1' },
    ]);
    expect(accepted(SendOtpRequest, { ...minimalSend, limits: '{"zeta":"k1","alpha":"k2"}' }).limits).toEqual([
      { name: 'zeta', key: 'k1' },
      { name: 'alpha', key: 'k2' },
    ]);
  });

  it('checks the recipient IP and the sub-account id', () => {
    expect(accepted(SendOtpRequest, { ...minimalSend, recipientIp: '2001:db8::1' }).recipientIp).toBe('2001:db8::1');
    expect(refused(SendOtpRequest, { ...minimalSend, recipientIp: '10.0.0.256' }).field).toBe('recipientIp');
    expect(accepted(SendOtpRequest, { ...minimalSend, accountSid: ACCOUNT }).accountSid).toBe(ACCOUNT);
    expect(refused(SendOtpRequest, { ...minimalSend, accountSid: 'AC123' }).field).toBe('accountSid');
  });

  it('refuses a body that is not an object', () => {
    expect(refused(SendOtpRequest, 'send').field).toBe('body');
    expect(refused(SendOtpRequest, null).field).toBe('body');
  });
});

describe('SendOtpCommand (NATS)', () => {
  it('requires the account it acts for', () => {
    expect(refused(SendOtpCommand, minimalSend)).toEqual({ field: 'accountSid', message: 'accountSid is required' });
    const command = accepted(SendOtpCommand, { ...minimalSend, accountSid: ACCOUNT, idempotencyKey: 'k-1' });
    expect(command).toMatchObject({ accountSid: ACCOUNT, idempotencyKey: 'k-1', channel: 'sms' });
  });
});

describe('limitRefs', () => {
  it('turns an object into the ordered list of {name, key}, numeric keys as strings', () => {
    expect(accepted(limitRefs, { b: 'x', a: 7 })).toEqual([
      { name: 'b', key: 'x' },
      { name: 'a', key: '7' },
    ]);
  });

  it('parses the JSON string form and keeps its order', () => {
    expect(accepted(limitRefs, '{"second":"s","first":"f","third":"t"}').map((l) => l.name)).toEqual([
      'second',
      'first',
      'third',
    ]);
  });

  it('refuses what is not an object of limit name to key', () => {
    expect(refused(SendOtpRequest, { ...minimalSend, limits: '{not json' }).field).toBe('limits');
    expect(refused(SendOtpRequest, { ...minimalSend, limits: 42 }).field).toBe('limits');
    expect(refused(limitRefs, {}).message).toMatch(/must name at least one limit/);
    const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`l${i}`, 'k']));
    expect(refused(limitRefs, eleven).message).toMatch(/may name at most 10 limits/);
    expect(refused(limitRefs, { perIp: '' }).field).toBe('0.key');
  });
});

describe('VerifyOtpRequest', () => {
  it('accepts a code with a requestId', () => {
    expect(accepted(VerifyOtpRequest, { requestId: REQUEST, code: '123456' })).toEqual({
      requestId: REQUEST,
      code: '123456',
    });
  });

  it('accepts a code given as a number', () => {
    expect(accepted(VerifyOtpRequest, { requestId: REQUEST, code: 123456 }).code).toBe('123456');
  });

  it('requires the code', () => {
    expect(refused(VerifyOtpRequest, { requestId: REQUEST })).toEqual({ field: 'code', message: 'code is required' });
    expect(refused(VerifyOtpRequest, { requestId: REQUEST, code: '' }).field).toBe('code');
    expect(refused(VerifyOtpRequest, { requestId: REQUEST, code: 'x'.repeat(33) }).field).toBe('code');
  });

  it('requires a requestId, or service and number', () => {
    expect(refused(VerifyOtpRequest, { code: '123456' })).toEqual({
      field: 'requestId',
      message: 'requestId is required (or service and number)',
    });
    expect(refused(VerifyOtpRequest, { code: '123456', number: '+14155552671' })).toEqual({
      field: 'service',
      message: 'service is required when verifying by number',
    });
    expect(refused(VerifyOtpRequest, { code: '123456', requestId: 'OTP123' }).field).toBe('requestId');
  });

  it('accepts service and number, normalising the number', () => {
    expect(accepted(VerifyOtpRequest, { code: '123456', service: '2FA', number: '+1 415-555-2671' })).toEqual({
      code: '123456',
      service: '2FA',
      number: '+14155552671',
    });
  });

  it('lets number take precedence: with a number, a requestId does not stand in for the service', () => {
    // With `number` the verify is by service and number, so the service is required even
    // though a requestId is given too (SPEC 3.2: the requestId is then ignored).
    expect(refused(VerifyOtpRequest, { code: '123456', requestId: REQUEST, number: '+14155552671' }).field).toBe(
      'service',
    );
    const both = accepted(VerifyOtpRequest, {
      code: '123456',
      requestId: REQUEST,
      service: '2FA',
      number: '+14155552671',
    });
    expect(both).toMatchObject({ service: '2FA', number: '+14155552671' });
  });
});

describe('VerifyOtpCommand (NATS)', () => {
  it('requires the account it acts for', () => {
    expect(refused(VerifyOtpCommand, { requestId: REQUEST, code: '123456' }).field).toBe('accountSid');
    expect(accepted(VerifyOtpCommand, { requestId: REQUEST, code: '123456', accountSid: ACCOUNT }).accountSid).toBe(
      ACCOUNT,
    );
  });
});

describe('CancelOtpRequest', () => {
  it('accepts a requestId, and a sub-account', () => {
    expect(accepted(CancelOtpRequest, { requestId: REQUEST })).toEqual({ requestId: REQUEST });
    expect(accepted(CancelOtpRequest, { requestId: REQUEST, accountSid: ACCOUNT })).toEqual({
      requestId: REQUEST,
      accountSid: ACCOUNT,
    });
  });

  it('refuses a missing or malformed requestId, and a malformed accountSid', () => {
    expect(refused(CancelOtpRequest, {})).toEqual({ field: 'requestId', message: 'requestId is required' });
    expect(refused(CancelOtpRequest, { requestId: 'OTP0123' })).toEqual({
      field: 'requestId',
      message: 'requestId must be OTP followed by 32 hex digits',
    });
    expect(refused(CancelOtpRequest, { requestId: `OTP${REQUEST.slice(3).toUpperCase()}` }).field).toBe('requestId');
    expect(refused(CancelOtpRequest, { requestId: REQUEST, accountSid: 'ACxyz' }).field).toBe('accountSid');
  });
});

/** zod reports a missing field and a wrong-typed one alike; the client must be told which. */
describe('firstIssue on a value of the wrong type', () => {
  it.each([
    ['service', 123, 'service must be a string'],
    ['body', 5, 'body must be a string'],
    ['length', 'six', 'length must be an integer'],
    ['allowDigits', 'yes', 'allowDigits must be true or false'],
    ['limits', '{not json', 'limits must be an object of limit name to key'],
    ['limits', 42, 'limits must be an object of limit name to key'],
  ])('names %s = %j as wrongly typed, not as missing', (field, value, message) => {
    expect(refused(SendOtpRequest, { ...minimalSend, [field]: value })).toEqual({ field, message });
  });
});

/**
 * REPORTED, not fixed here (otp.commands.ts is not this file's to change): SPEC 3.2 says
 * that when `number` is given, `requestId` is ignored, yet a malformed `requestId` next to a
 * valid service and number refuses the whole verify (400 on requestId). Marked `failing`
 * until the schema ignores it (or the SPEC is read the other way and this case is deleted).
 */
describe('verify by number ignores requestId (reported)', () => {
  it.failing('accepts a malformed requestId when service and number are given', () => {
    accepted(VerifyOtpRequest, { code: '123456', service: '2FA', number: '+14155552671', requestId: 'not-an-id' });
  });
});

describe('channel-only fields', () => {
  it.each([
    ['language', { language: 'en-US' }],
    ['voice', { voice: 'man' }],
    ['repeat', { repeat: 2 }],
  ])('refuses %s on a text channel, naming it', (field, extra) => {
    expect(refused(SendOtpRequest, { ...minimalSend, ...extra })).toEqual({
      field,
      message: `${field} is only used by the call channel`,
    });
    expect(refused(SendOtpRequest, { ...emailSend, ...extra }).field).toBe(field);
    expect(accepted(SendOtpRequest, { ...callSend, ...extra })).toMatchObject(extra);
  });

  it('refuses a subject outside email', () => {
    expect(refused(SendOtpRequest, { ...minimalSend, subject: 'x' })).toEqual({
      field: 'subject',
      message: 'subject is only used by the email channel',
    });
  });
});

describe('fallback', () => {
  const numberSend = { ...minimalSend, from: '+14155550000' };

  it('accepts steps, inheriting to and from where their form fits the channel', () => {
    const send = accepted(SendOtpRequest, {
      ...numberSend,
      fallback: [
        { channel: 'call', after: 60, voice: 'female', repeat: 2 },
        { channel: 'email', to: 'Jane@Example.com', from: 'otp@example.com', subject: 'Code', after: '60' },
      ],
    });
    expect(send.fallback).toEqual([
      { channel: 'call', after: 60, voice: 'woman', repeat: 2 },
      { channel: 'email', to: 'Jane@Example.com', from: 'otp@example.com', subject: 'Code', after: 60 },
    ]);
  });

  it('accepts the JSON string form', () => {
    expect(accepted(SendOtpRequest, { ...numberSend, fallback: '[{"channel":"call","after":30}]' }).fallback).toEqual([
      { channel: 'call', after: 30 },
    ]);
  });

  it.each([
    ['not an array', { fallback: { channel: 'call' } }, 'fallback'],
    ['empty', { fallback: [] }, 'fallback'],
    ['too many steps', { fallback: Array.from({ length: 4 }, () => ({ channel: 'call', after: 10 })) }, 'fallback'],
    ['unknown channel', { fallback: [{ channel: 'fax', after: 10 }] }, 'fallback.0.channel'],
    ['after missing', { fallback: [{ channel: 'call' }] }, 'fallback.0.after'],
    ['after zero', { fallback: [{ channel: 'call', after: 0 }] }, 'fallback.0.after'],
    [
      'after past the expiry',
      {
        timeout: 60,
        fallback: [
          { channel: 'call', after: 30 },
          { channel: 'call', to: '+14155552672', after: 30 },
        ],
      },
      'fallback.1.after',
    ],
    [
      'email without its to',
      { fallback: [{ channel: 'email', from: 'otp@example.com', subject: 'x', after: 10 }] },
      'fallback.0.to',
    ],
    [
      'email without its from',
      { fallback: [{ channel: 'email', to: 'a@example.com', subject: 'x', after: 10 }] },
      'fallback.0.from',
    ],
    [
      'email without a subject',
      { fallback: [{ channel: 'email', to: 'a@example.com', from: 'otp@example.com', after: 10 }] },
      'fallback.0.subject',
    ],
    ['invalid number', { fallback: [{ channel: 'call', to: '+1555', after: 10 }] }, 'fallback.0.to'],
    ['voice on sms', { fallback: [{ channel: 'sms', voice: 'man', after: 10 }] }, 'fallback.0.voice'],
    ['body without {code}', { fallback: [{ channel: 'call', body: 'no code', after: 10 }] }, 'fallback.0.body'],
  ])('refuses %s, naming the field', (_case, extra, field) => {
    expect(refused(SendOtpRequest, { ...numberSend, ...extra }).field).toBe(field);
  });

  it('requires the call step to name a number when the request sends from an alphanumeric sender', () => {
    expect(refused(SendOtpRequest, { ...minimalSend, fallback: [{ channel: 'call', after: 10 }] }).field).toBe(
      'fallback.0.from',
    );
  });

  it('checks an inherited email body against the sms size', () => {
    const long = { ...emailSend, body: `{code}${'x'.repeat(2000)}` };
    expect(
      refused(SendOtpRequest, { ...long, fallback: [{ channel: 'sms', to: '+14155552671', from: 'ACME', after: 10 }] })
        .field,
    ).toBe('fallback.0.body');
  });
});

describe('statusCallback', () => {
  it('accepts http and https URLs', () => {
    expect(
      accepted(SendOtpRequest, { ...minimalSend, statusCallback: 'https://example.com/hook?x=1' }).statusCallback,
    ).toBe('https://example.com/hook?x=1');
    expect(accepted(SendOtpRequest, { ...minimalSend, statusCallback: 'http://127.0.0.1:8080/' }).statusCallback).toBe(
      'http://127.0.0.1:8080/',
    );
  });

  it.each(['ftp://example.com/', 'example.com/hook', 'https://user:pass@example.com/', 42])(
    'refuses %p',
    (statusCallback) => {
      expect(refused(SendOtpRequest, { ...minimalSend, statusCallback }).field).toBe('statusCallback');
    },
  );
});
