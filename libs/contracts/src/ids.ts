import { randomBytes } from 'node:crypto';

/** Public identifiers: a two or three letter prefix and 32 lowercase hex digits. */
export const ID_PREFIX = { account: 'AC', otp: 'OTP', limit: 'LM', fraudSafeList: 'FS', fraudBlock: 'FB' } as const;
export type IdKind = keyof typeof ID_PREFIX;

export function newId(kind: IdKind): string {
  return ID_PREFIX[kind] + randomBytes(16).toString('hex');
}

const PATTERNS: Record<IdKind, RegExp> = {
  account: /^AC[0-9a-f]{32}$/,
  otp: /^OTP[0-9a-f]{32}$/,
  limit: /^LM[0-9a-f]{32}$/,
  fraudSafeList: /^FS[0-9a-f]{32}$/,
  fraudBlock: /^FB[0-9a-f]{32}$/,
};

export function isId(kind: IdKind, value: unknown): value is string {
  return typeof value === 'string' && PATTERNS[kind].test(value);
}
