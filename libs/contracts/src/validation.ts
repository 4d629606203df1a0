import { isIP } from 'node:net';
import { z } from 'zod';
import { phoneFacts } from './phone-facts';

/**
 * Field types shared by the HTTP bodies and the NATS commands. Lenient where the seeds are
 * (numbers and booleans may come as strings), strict where it matters (phone numbers, ranges).
 */

/** An integer, also given as a decimal string (the seed sends `"max":"1"`). */
export const intField = (min: number, max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v),
    z
      .number({ error: 'must be an integer' })
      .int('must be an integer')
      .min(min, `must be at least ${min}`)
      .max(max, `must be at most ${max}`),
  );

export const boolField = z.preprocess(
  (v) => (v === 'true' ? true : v === 'false' ? false : v),
  z.boolean({ error: 'must be true or false' }),
);

export const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * A phone number in E.164 form that libphonenumber's full metadata calls valid. On an E.164
 * text `phoneFacts(s).valid` is `isValidPhoneNumber(s)`: the two differ only in looking for a
 * number inside the text, which finds the whole of it (pinned in phone-facts.spec.ts).
 */
export const phoneNumber = z
  .string({ error: 'must be a string' })
  .transform((s) => s.replace(/[\s()-]/g, ''))
  .refine((s) => E164.test(s) && phoneFacts(s).valid, 'must be a valid phone number in E.164 form (+14155550123)');

export const emailAddress = z
  .email({ error: 'must be a valid email address' })
  .max(254, 'must be at most 254 characters');

export const ipAddress = z
  .string({ error: 'must be a string' })
  .refine((s) => isIP(s) !== 0, 'must be an IPv4 or IPv6 address');

/**
 * Where, in a decoded JSON value, a string or key holds a NUL character (U+0000), as a dotted
 * path (`''` for the value itself); undefined when none does. No field of the contract may
 * hold one, and PostgreSQL text refuses it, so callers refuse it up front with a 400 rather
 * than let it reach a query.
 */
export function nulCharacterAt(input: unknown): string | undefined {
  // Iterative: a hostile body may nest thousands of levels deep.
  const pending: [unknown, string][] = [[input, '']];
  while (pending.length) {
    const [value, path] = pending.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return path;
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        const at = path ? `${path}.${key}` : key;
        if (key.includes('\u0000')) return at;
        pending.push([item, at]);
      }
    }
  }
  return undefined;
}

/**
 * Whether a decoded JSON value nests deeper than `max` levels. No contract goes past a few;
 * a hostile body thousands of levels deep parses, but would overflow the stack of whatever
 * walks it recursively next (JSON.stringify on the way to NATS, for one).
 */
export function nestedDeeperThan(input: unknown, max: number): boolean {
  const pending: [unknown, number][] = [[input, 0]];
  while (pending.length) {
    const [value, depth] = pending.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth >= max) return true;
    for (const item of Object.values(value)) pending.push([item, depth + 1]);
  }
  return false;
}

/**
 * The seeds send structured fields (limits, buckets, fallback steps) either as JSON or as that
 * JSON in a string: a string that parses is read as its value, anything else is left to the
 * schema to refuse.
 */
export function parsedIfJsonString(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

export const nonEmpty = (max: number) =>
  z.string({ error: 'must be a string' }).trim().min(1, 'is required').max(max, `must be at most ${max} characters`);

export const idOf = (prefix: string) =>
  z
    .string({ error: 'must be a string' })
    .regex(new RegExp(`^${prefix}[0-9a-f]{32}$`), `must be ${prefix} followed by 32 hex digits`);

export const accountSid = idOf('AC');
export const otpRequestId = idOf('OTP');

export interface FieldIssue {
  field: string;
  message: string;
}

/** The first issue of a failed parse, as the field it concerns and a sentence about it. */
export function firstIssue(error: z.ZodError, input: unknown): FieldIssue {
  const issue = error.issues[0];
  const field = issue.path.map(String).join('.') || 'body';
  // A missing field and a field of the wrong type are both `invalid_type`: only the input
  // tells them apart (zod reports the offending value only when asked to).
  const problem =
    issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined ? 'is required' : issue.message;
  return { field, message: `${field} ${problem}` };
}

/** The value at a schema path in the raw input, reading JSON strings as the schemas do. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    value = parsedIfJsonString(value);
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
