import { z } from 'zod';
import { type Channel, CHANNELS } from './subjects';
import {
  accountSid,
  boolField,
  emailAddress,
  intField,
  ipAddress,
  nonEmpty,
  otpRequestId,
  parsedIfJsonString,
  phoneNumber,
} from './validation';

/** An ordered list of `{name, key}`: the order of limits matters (SPEC section 6). */
export const limitRefs = z.preprocess(
  (raw) => {
    const v = parsedIfJsonString(raw);
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.entries(v).map(([name, key]) => ({ name, key: typeof key === 'number' ? String(key) : key }));
    }
    return v;
  },
  z
    .array(z.object({ name: nonEmpty(64), key: nonEmpty(256) }), { error: 'must be an object of limit name to key' })
    .min(1, 'must name at least one limit')
    .max(10, 'may name at most 10 limits'),
);

const SENDER_ID = /^[A-Za-z0-9]{3,11}$/;
const LANGUAGE = /^([A-Za-z0-9]+\.)?[a-z]{2,3}-[A-Z]{2,3}$/;
/** Characters a message body may hold, per channel (SPEC 3.1). */
const BODY_MAX = { sms: 1224, call: 1224, email: 10_000 } as const;
/** Fallback steps a send may name: enough to try every channel once more. */
export const MAX_FALLBACK_STEPS = 3;

const bodyField = z
  .string({ error: 'must be a string' })
  .min(1, 'is required')
  .refine((s) => s.includes('{code}'), 'must contain {code}');
const channelField = z.enum(CHANNELS, { error: `must be one of ${CHANNELS.join(', ')}` });
const languageField = z
  .string({ error: 'must be a string' })
  .regex(LANGUAGE, 'must be a locale like en-US or engine.locale like awspolly.ja-JP');
const voiceField = z
  .enum(['man', 'woman', 'male', 'female'], { error: 'must be man, woman, male or female' })
  .transform((v): 'man' | 'woman' => (v === 'male' ? 'man' : v === 'female' ? 'woman' : v));

/** An http(s) URL that events of the request are POSTed to (SPEC section 7). */
export const callbackUrl = z
  .string({ error: 'must be a string' })
  .max(2048, 'must be at most 2048 characters')
  .refine((v) => {
    try {
      const u = new URL(v);
      return (
        (u.protocol === 'http:' || u.protocol === 'https:') &&
        u.hostname !== '' &&
        u.username === '' &&
        u.password === ''
      );
    } catch {
      return false;
    }
  }, 'must be an http:// or https:// URL without credentials');

/**
 * One fallback step (SPEC section 5): the same code goes out again on `channel` when the
 * previous dispatch failed, or `after` seconds after it went out without a verify. `to` and
 * `from` default to the request's own when their form fits the step's channel; `body`
 * defaults to the request's. `subject` (email) and `language`, `voice`, `repeat` (call)
 * are the step's own.
 */
export const FallbackStep = z.object({
  channel: channelField,
  to: nonEmpty(254).optional(),
  from: nonEmpty(254).optional(),
  after: intField(1, 86_400),
  body: bodyField.optional(),
  subject: nonEmpty(998).optional(),
  language: languageField.optional(),
  voice: voiceField.optional(),
  repeat: intField(1, 5).optional(),
});
export type FallbackStep = z.infer<typeof FallbackStep>;

const fallbackField = z.preprocess(
  parsedIfJsonString,
  z
    .array(FallbackStep, { error: 'must be an array of {channel, to?, after}' })
    .min(1, 'must name at least one step')
    .max(MAX_FALLBACK_STEPS, `may name at most ${MAX_FALLBACK_STEPS} steps`),
);

/**
 * Who a command acts for. Over HTTP the gateway fills it from the authenticated account;
 * internal NATS publishers are trusted and name it themselves. `parentAccountSid` lets the
 * parent account see and act on what a sub-account created.
 */
const actor = {
  accountSid,
  parentAccountSid: accountSid.optional(),
};

/** What otp-core assumes when a send leaves these out (SPEC 3.1). */
export const SEND_DEFAULTS = { length: 6, timeout: 300, maxWrongAttempts: 5, voice: 'woman', repeat: 1 } as const;

const sendFields = z.object({
  service: nonEmpty(64).meta({
    description: 'Your name for what the code protects (`login`, `checkout`); verify by number names it again.',
    examples: ['login'],
  }),
  from: nonEmpty(254).meta({
    description: 'E.164 number, a 3–11 character alphanumeric sender ID (sms), or an email address (email).',
    examples: ['Smart2FA'],
  }),
  to: nonEmpty(254).meta({
    description: 'The destination: an E.164 number that libphonenumber calls valid (sms, call), or an email address.',
    examples: ['+14155550123'],
  }),
  body: bodyField.meta({
    description:
      'The message; `{code}` is replaced by the code. At most 1224 characters (sms, call) or 10,000 (email).',
    examples: ['Your code is {code}'],
  }),
  channel: channelField.default('sms'),
  subject: nonEmpty(998).optional().meta({ description: 'Required for email, refused on other channels.' }),
  length: intField(4, 32).optional().meta({ description: 'Characters in the code.', default: SEND_DEFAULTS.length }),
  codeLength: intField(4, 32).optional().meta({ description: 'Same as `length` (seed 003 name).' }),
  allowDigits: boolField
    .optional()
    .meta({ description: 'Digits in the alphabet (the default alphabet is digits only).' }),
  allowUpperCase: boolField.optional().meta({ description: 'Upper-case letters in the alphabet.' }),
  allowLowerCase: boolField.optional().meta({ description: 'Lower-case letters in the alphabet.' }),
  allowSpecialChars: boolField.optional().meta({ description: 'Special characters in the alphabet.' }),
  timeout: intField(30, 86_400)
    .optional()
    .meta({ description: 'Seconds the code is valid.', default: SEND_DEFAULTS.timeout }),
  validityPeriod: intField(30, 86_400).optional().meta({ description: 'Same as `timeout` (seed 003 name).' }),
  guardTime: intField(0, 86_400).optional().meta({
    description: 'Seconds an earlier pending code of the same service and destination stays valid after this send.',
    default: 0,
  }),
  maxWrongAttempts: intField(1, 20)
    .optional()
    .meta({ description: 'Wrong codes before the request locks (475).', default: SEND_DEFAULTS.maxWrongAttempts }),
  language: languageField
    .optional()
    .meta({ description: 'Call only: `en-US`, or `engine.locale` as `awspolly.ja-JP`.' }),
  voice: voiceField
    .optional()
    .meta({ description: 'Call only (`male`/`female` also accepted).', default: SEND_DEFAULTS.voice }),
  repeat: intField(1, 5)
    .optional()
    .meta({ description: 'Call only: times the message is spoken.', default: SEND_DEFAULTS.repeat }),
  fallback: fallbackField.optional().meta({
    description: 'Up to 3 more channels to try, each when the previous failed or `after` seconds without a verify.',
  }),
  statusCallback: callbackUrl.optional().meta({ description: "An http(s) URL the request's events are POSTed to." }),
  limits: limitRefs.optional().meta({
    description: 'Your named limits, in order, each with the key it counts under: `{"per-user": "user-42"}`.',
  }),
  accountSid: accountSid.optional().meta({ description: 'Act for this sub-account of yours.' }),
  recipientIp: ipAddress
    .optional()
    .meta({ description: "The person's IP address: stored on the record, usable as a limit key." }),
  riskCheck: boolField
    .optional()
    .meta({ description: '`false` skips the fraud guard, honoured only when the account settings allow bypass.' }),
});
type SendFields = z.infer<typeof sendFields>;
/** The fields of a send, each with its own rules: for adapters that rename them (seed 003). */
export const SEND_FIELDS = sendFields.shape;

function refineSend(req: SendFields, ctx: z.RefinementCtx): void {
  const fail = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  checkMessage(req, [], fail);
  const alphabet = [req.allowDigits, req.allowUpperCase, req.allowLowerCase, req.allowSpecialChars];
  if (alphabet.some((a) => a !== undefined) && !alphabet.some((a) => a === true)) {
    fail(
      ['allowDigits'],
      'at least one of allowDigits, allowUpperCase, allowLowerCase, allowSpecialChars must be true',
    );
  }
  const timeout = req.timeout ?? req.validityPeriod ?? SEND_DEFAULTS.timeout;
  let startsAt = 0;
  req.fallback?.forEach((step, i) => {
    const path = ['fallback', i];
    const resolved = resolveFallbackStep(req, step);
    if (resolved.to === undefined)
      fail([...path, 'to'], `is required: the request's to does not fit the ${step.channel} channel`);
    if (resolved.from === undefined)
      fail([...path, 'from'], `is required: the request's from does not fit the ${step.channel} channel`);
    if (resolved.to !== undefined && resolved.from !== undefined)
      checkMessage({ ...resolved, to: resolved.to, from: resolved.from }, path, fail);
    // A step that would start once the code expired could never be verified.
    startsAt += step.after;
    if (startsAt >= timeout)
      fail([...path, 'after'], `puts the step at ${startsAt} s, not before the code expires (${timeout} s)`);
  });
}

interface MessageFields {
  channel: Channel;
  to: string;
  from: string;
  body: string;
  subject?: string;
  language?: string;
  voice?: string;
  repeat?: number;
}

/** What one message needs on its channel: destination and sender forms, subject, body size, voice options. */
function checkMessage(
  m: MessageFields,
  path: (string | number)[],
  fail: (path: (string | number)[], message: string) => void,
): void {
  const at = (field: string) => [...path, field];
  if (m.channel === 'email') {
    if (!emailAddress.safeParse(m.to).success) fail(at('to'), 'must be a valid email address for the email channel');
    if (!emailAddress.safeParse(m.from).success)
      fail(at('from'), 'must be a valid email address for the email channel');
    if (m.subject === undefined) fail(at('subject'), 'is required for the email channel');
  } else {
    if (m.subject !== undefined) fail(at('subject'), 'is only used by the email channel');
    if (!phoneNumber.safeParse(m.to).success)
      fail(at('to'), 'must be a valid phone number in E.164 form (+14155550123)');
    const senderOk = phoneNumber.safeParse(m.from).success || (m.channel === 'sms' && SENDER_ID.test(m.from));
    if (!senderOk) {
      fail(
        at('from'),
        m.channel === 'sms'
          ? 'must be an E.164 number or a 3-11 character alphanumeric sender ID'
          : 'must be a valid phone number in E.164 form',
      );
    }
  }
  if (m.body.length > BODY_MAX[m.channel])
    fail(at('body'), `must be at most ${BODY_MAX[m.channel]} characters for the ${m.channel} channel`);
  // Voice options mean nothing on a text channel: refused rather than silently dropped.
  if (m.channel !== 'call') {
    for (const field of ['language', 'voice', 'repeat'] as const) {
      if (m[field] !== undefined) fail(at(field), 'is only used by the call channel');
    }
  }
}

/** Whether `address` has the destination form of `channel`. */
function fitsDestination(channel: Channel, address: string): boolean {
  return channel === 'email' ? emailAddress.safeParse(address).success : phoneNumber.safeParse(address).success;
}

/** Whether `address` may be the sender on `channel`. */
function fitsSender(channel: Channel, address: string): boolean {
  if (channel === 'email') return emailAddress.safeParse(address).success;
  return phoneNumber.safeParse(address).success || (channel === 'sms' && SENDER_ID.test(address));
}

/**
 * A fallback step with its defaults filled in from the request: `to` and `from` when their
 * form fits the step's channel (else undefined: the step must name them), the body. Subject
 * and voice options are never inherited: they belong to one channel.
 */
export function resolveFallbackStep(
  req: Pick<MessageFields, 'to' | 'from' | 'body' | 'subject'> & { channel: Channel },
  step: FallbackStep,
): Omit<MessageFields, 'to' | 'from'> & { to?: string; from?: string; after: number } {
  const to = step.to ?? (fitsDestination(step.channel, req.to) ? req.to : undefined);
  const from = step.from ?? (fitsSender(step.channel, req.from) ? req.from : undefined);
  const subject = step.subject ?? (step.channel === 'email' && req.channel === 'email' ? req.subject : undefined);
  return {
    channel: step.channel,
    to: to === undefined ? undefined : normaliseDestination(to),
    from: from === undefined ? undefined : step.channel === 'email' ? from : from.replace(/[\s()-]/g, ''),
    body: step.body ?? req.body,
    subject,
    language: step.language,
    voice: step.voice,
    repeat: step.repeat,
    after: step.after,
  };
}

/** Destinations are stored normalised, so that verify by number finds them. */
export function normaliseDestination(to: string): string {
  return to.includes('@') ? to.trim().toLowerCase() : to.replace(/[\s()-]/g, '');
}

function normaliseSend<T extends SendFields>(req: T): T {
  return {
    ...req,
    to: normaliseDestination(req.to),
    from: req.channel === 'email' ? req.from : req.from.replace(/[\s()-]/g, ''),
  };
}

/** The body of `POST /2fa/send` (SPEC 3.1). */
export const SendOtpRequest = sendFields.superRefine(refineSend).transform(normaliseSend);
export type SendOtpRequest = z.infer<typeof SendOtpRequest>;

export const SendOtpCommand = sendFields
  .extend({
    ...actor,
    idempotencyKey: z.string().min(1).max(255).optional(),
    // The gateway made `idempotencyKey` for this very send: no request can hold it yet, so
    // otp-core does not look it up first (the unique index still decides if one did).
    idempotencyKeyMinted: z.boolean().optional(),
  })
  .superRefine(refineSend)
  .transform(normaliseSend);
export type SendOtpCommand = z.infer<typeof SendOtpCommand>;

const verifyFields = z.object({
  code: z
    .preprocess(
      (v) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? String(v) : v),
      z.string({ error: 'must be a string' }).min(1, 'is required').max(32, 'must be at most 32 characters'),
    )
    .meta({ description: 'The code the person typed.', examples: ['123456'] }),
  requestId: otpRequestId
    .optional()
    .meta({ description: 'The `requestID` send answered; ignored when `number` is given.' }),
  service: nonEmpty(64).optional().meta({ description: 'With `number`: the service the code was sent for.' }),
  number: nonEmpty(254)
    .optional()
    .meta({ description: 'Verify by destination instead of `requestId` (with `service`).' }),
  limits: limitRefs.optional().meta({ description: 'Named limits that throttle code checks (per IP, per user…).' }),
  accountSid: accountSid.optional().meta({ description: 'Act for this sub-account of yours.' }),
});
type VerifyFields = z.infer<typeof verifyFields>;
/** The fields of a verify, likewise. */
export const VERIFY_FIELDS = verifyFields.shape;

function refineVerify(req: VerifyFields, ctx: z.RefinementCtx): void {
  if (req.number !== undefined) {
    if (req.service === undefined)
      ctx.addIssue({ code: 'custom', path: ['service'], message: 'is required when verifying by number' });
  } else if (req.requestId === undefined) {
    ctx.addIssue({ code: 'custom', path: ['requestId'], message: 'is required (or service and number)' });
  }
}

function normaliseVerify<T extends VerifyFields>(req: T): T {
  return req.number === undefined ? req : { ...req, number: normaliseDestination(req.number) };
}

/** The body of `POST /2fa/verify` (SPEC 3.2). `number` takes precedence over `requestId`. */
export const VerifyOtpRequest = verifyFields.superRefine(refineVerify).transform(normaliseVerify);
export type VerifyOtpRequest = z.infer<typeof VerifyOtpRequest>;

export const VerifyOtpCommand = verifyFields.extend(actor).superRefine(refineVerify).transform(normaliseVerify);
export type VerifyOtpCommand = z.infer<typeof VerifyOtpCommand>;

/** The body of `POST /2fa/cancel` (SPEC 3.3). */
export const CancelOtpRequest = z.object({
  requestId: otpRequestId.meta({ description: 'The `requestID` send answered.' }),
  accountSid: accountSid.optional().meta({ description: 'Act for this sub-account of yours.' }),
});
export type CancelOtpRequest = z.infer<typeof CancelOtpRequest>;

export const CancelOtpCommand = CancelOtpRequest.extend(actor);
export type CancelOtpCommand = z.infer<typeof CancelOtpCommand>;

/** What send, verify and cancel answer with (the limit state leaves HTTP as RateLimit-* headers). */
export const OtpReply = z.object({
  code: z.literal(200),
  message: z.string().meta({ examples: ['OK'] }),
  requestID: z.string().meta({ examples: ['OTP0f7c2b4a9d8e6f5a4b3c2d1e0f9a8b7c'] }),
  /** Sends (send) or attempts (verify) left in the tightest bucket that counted this one. */
  remaining: z.number().int().optional(),
  /** Seconds until that bucket's window closes. */
  resetIn: z.number().int().optional(),
  /** That bucket's `max`. */
  limit: z.number().int().optional(),
});
export type OtpReply = z.infer<typeof OtpReply>;
