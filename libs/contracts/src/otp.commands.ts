import { z } from 'zod';
import { CHANNELS } from './subjects';
import {
  accountSid,
  boolField,
  emailAddress,
  intField,
  ipAddress,
  nonEmpty,
  otpRequestId,
  phoneNumber,
} from './validation';

/** An ordered list of `{name, key}`: the order of limits matters (SPEC section 6). */
export const limitRefs = z.preprocess(
  (v) => {
    if (typeof v === 'string') {
      try {
        v = JSON.parse(v);
      } catch {
        return v;
      }
    }
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
export type LimitRef = z.infer<typeof limitRefs>[number];

const SENDER_ID = /^[A-Za-z0-9]{3,11}$/;
const LANGUAGE = /^([A-Za-z0-9]+\.)?[a-z]{2,3}-[A-Z]{2,3}$/;

/**
 * Who a command acts for. Over HTTP the gateway fills it from the authenticated account;
 * internal NATS publishers are trusted and name it themselves. `parentAccountSid` lets the
 * parent account see and act on what a sub-account created.
 */
const actor = {
  accountSid,
  parentAccountSid: accountSid.optional(),
};

const sendFields = z.object({
    service: nonEmpty(64),
    from: nonEmpty(254),
    to: nonEmpty(254),
    body: z.string({ error: 'must be a string' }).min(1, 'is required').refine((s) => s.includes('{code}'), 'must contain {code}'),
    channel: z.enum(CHANNELS, { error: `must be one of ${CHANNELS.join(', ')}` }).default('sms'),
    subject: nonEmpty(998).optional(),
    length: intField(4, 32).optional(),
    codeLength: intField(4, 32).optional(),
    allowDigits: boolField.optional(),
    allowUpperCase: boolField.optional(),
    allowLowerCase: boolField.optional(),
    allowSpecialChars: boolField.optional(),
    timeout: intField(30, 86_400).optional(),
    validityPeriod: intField(30, 86_400).optional(),
    guardTime: intField(0, 86_400).optional(),
    maxWrongAttempts: intField(1, 20).optional(),
    language: z.string({ error: 'must be a string' }).regex(LANGUAGE, 'must be a locale like en-US or engine.locale like awspolly.ja-JP').optional(),
    voice: z
      .enum(['man', 'woman', 'male', 'female'], { error: 'must be man, woman, male or female' })
      .transform((v) => (v === 'male' ? 'man' : v === 'female' ? 'woman' : v))
      .optional(),
    repeat: intField(1, 5).optional(),
    limits: limitRefs.optional(),
    accountSid: accountSid.optional(),
    recipientIp: ipAddress.optional(),
});
type SendFields = z.infer<typeof sendFields>;

function refineSend(req: SendFields, ctx: z.RefinementCtx): void {
    const fail = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (req.channel === 'email') {
      if (!emailAddress.safeParse(req.to).success) fail('to', 'must be a valid email address for the email channel');
      if (!emailAddress.safeParse(req.from).success) fail('from', 'must be a valid email address for the email channel');
      if (req.subject === undefined) fail('subject', 'is required for the email channel');
      if (req.body.length > 10_000) fail('body', 'must be at most 10000 characters');
    } else {
      if (!phoneNumber.safeParse(req.to).success) fail('to', 'must be a valid phone number in E.164 form (+14155550123)');
      const senderOk = phoneNumber.safeParse(req.from).success || (req.channel === 'sms' && SENDER_ID.test(req.from));
      if (!senderOk) {
        fail('from', req.channel === 'sms' ? 'must be an E.164 number or a 3-11 character alphanumeric sender ID' : 'must be a valid phone number in E.164 form');
      }
      if (req.body.length > 1224) fail('body', 'must be at most 1224 characters');
    }
    const alphabet = [req.allowDigits, req.allowUpperCase, req.allowLowerCase, req.allowSpecialChars];
    if (alphabet.some((a) => a !== undefined) && !alphabet.some((a) => a === true)) {
      fail('allowDigits', 'at least one of allowDigits, allowUpperCase, allowLowerCase, allowSpecialChars must be true');
    }
}

/** Destinations are stored normalised, so that verify by number finds them. */
export function normaliseDestination(to: string): string {
  return to.includes('@') ? to.trim().toLowerCase() : to.replace(/[\s()-]/g, '');
}

function normaliseSend<T extends SendFields>(req: T): T {
  return { ...req, to: normaliseDestination(req.to), from: req.channel === 'email' ? req.from : req.from.replace(/[\s()-]/g, '') };
}

/** The body of `POST /2fa/send` (SPEC 3.1). */
export const SendOtpRequest = sendFields.superRefine(refineSend).transform(normaliseSend);
export type SendOtpRequest = z.infer<typeof SendOtpRequest>;

export const SendOtpCommand = sendFields
  .extend({ ...actor, idempotencyKey: z.string().min(1).max(255).optional() })
  .superRefine(refineSend)
  .transform(normaliseSend);
export type SendOtpCommand = z.infer<typeof SendOtpCommand>;

const verifyFields = z.object({
    code: z.preprocess(
      (v) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? String(v) : v),
      z.string({ error: 'must be a string' }).min(1, 'is required').max(32, 'must be at most 32 characters'),
    ),
    requestId: otpRequestId.optional(),
    service: nonEmpty(64).optional(),
    number: nonEmpty(254).optional(),
    limits: limitRefs.optional(),
    accountSid: accountSid.optional(),
});
type VerifyFields = z.infer<typeof verifyFields>;

function refineVerify(req: VerifyFields, ctx: z.RefinementCtx): void {
    if (req.number !== undefined) {
      if (req.service === undefined) ctx.addIssue({ code: 'custom', path: ['service'], message: 'is required when verifying by number' });
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
  requestId: otpRequestId,
  accountSid: accountSid.optional(),
});
export type CancelOtpRequest = z.infer<typeof CancelOtpRequest>;

export const CancelOtpCommand = CancelOtpRequest.extend(actor);
export type CancelOtpCommand = z.infer<typeof CancelOtpCommand>;

export interface OtpReply {
  code: 200;
  message: string;
  requestID: string;
  /** Sends (send) or attempts (verify) left in the tightest bucket that counted this one. */
  remaining?: number;
  /** Seconds until that bucket's window closes. */
  resetIn?: number;
  /** That bucket's `max`. */
  limit?: number;
}
