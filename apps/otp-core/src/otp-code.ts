import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';

interface Alphabet {
  allowDigits?: boolean;
  allowUpperCase?: boolean;
  allowLowerCase?: boolean;
  allowSpecialChars?: boolean;
}

const DIGITS = '0123456789';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
// Printable, unambiguous in SMS and speech, no quoting or escaping characters.
const SPECIAL = '!#$%&*+-=?@^_';

/** Digits only unless a switch says otherwise (seed 003); the switches given true are unioned. */
export function alphabetOf(options: Alphabet): string {
  const chosen = [options.allowDigits, options.allowUpperCase, options.allowLowerCase, options.allowSpecialChars];
  if (!chosen.some((c) => c === true)) return DIGITS;
  return (
    (options.allowDigits ? DIGITS : '') +
    (options.allowUpperCase ? UPPER : '') +
    (options.allowLowerCase ? LOWER : '') +
    (options.allowSpecialChars ? SPECIAL : '')
  );
}

/** A code from the CSPRNG. `randomInt` rejects out-of-range draws, so there is no modulo bias. */
export function generateCode(length: number, alphabet: string): string {
  let code = '';
  for (let i = 0; i < length; i++) code += alphabet[randomInt(alphabet.length)];
  return code;
}

/**
 * The body with every `{code}` replaced by `code`. A replacer function, not a replacement
 * string: codes with special characters contain `$&`, `$$` or `$'`, which `replaceAll` would
 * otherwise read as patterns and so send a different code from the one stored.
 */
export function renderBody(template: string, code: string): string {
  return template.replaceAll('{code}', () => code);
}

/**
 * The only form in which a code is stored: HMAC-SHA256 under the server secret, bound to the
 * request id so that a hash cannot be replayed onto another request.
 */
export function hashCode(secret: string, requestId: string, code: string): string {
  return createHmac('sha256', secret).update(`${requestId}\0${code}`).digest('hex');
}

/** Constant-time comparison of a candidate code against the stored hash. */
export function codeMatches(secret: string, requestId: string, candidate: string, storedHash: string): boolean {
  const expected = Buffer.from(storedHash, 'hex');
  const actual = Buffer.from(hashCode(secret, requestId, candidate), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
