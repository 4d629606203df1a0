import { SendOtpCommand } from '@app/contracts';

/** Our field names back to the second vendor's, so that answers name the field the caller sent. */
export const VENDOR_FIELD: Record<string, string> = {
  to: 'phone_number',
  body: 'text',
  from: 'sender',
  channel: 'channel',
  length: 'code_length',
  allowDigits: 'allow_digits',
  allowUpperCase: 'allow_upper_case',
  allowLowerCase: 'allow_lower_case',
  allowSpecialChars: 'allow_special_chars',
  timeout: 'validity_period',
  maxWrongAttempts: 'max_wrong_attempts',
  recipientIp: 'recipient_ip',
  language: 'voice_language',
  voice: 'voice_gender',
  requestId: 'otp_request_token',
  code: 'code',
};

export const CHANNEL: Record<string, string> = { sms: 'sms', voice_sms: 'call' };
const INTEGERS = { code_length: 'length', validity_period: 'timeout', max_wrong_attempts: 'maxWrongAttempts' } as const;
const BOOLEANS = {
  allow_digits: 'allowDigits',
  allow_upper_case: 'allowUpperCase',
  allow_lower_case: 'allowLowerCase',
  allow_special_chars: 'allowSpecialChars',
} as const;
const STRINGS = { recipient_ip: 'recipientIp', voice_language: 'language', voice_gender: 'voice' } as const;
/** What may be left out when its value cannot be used; `phone_number` and `text` may not. */
const OPTIONAL = new Set<string>([
  'from',
  'channel',
  ...Object.values(INTEGERS),
  ...Object.values(BOOLEANS),
  ...Object.values(STRINGS),
]);

/** A value the vendor's API ignored instead of refusing the request (seed 003), and why. */
export interface VendorWarning {
  field: string;
  message: string;
}

export interface VendorSend {
  /** Still unchecked where the contract is strict (`to`, `body`): otp-core validates it on receipt. */
  command: Record<string, unknown>;
  warnings: VendorWarning[];
}

/**
 * The seed 003 body of `POST /otp/generate` as a send command, leniently (seed 003, "How our
 * API deals with incorrect data"): numbers and booleans sent as strings (or `1`/`0`) are cast,
 * a sender is stripped of what a sender ID cannot hold, and an optional value that still cannot
 * be used is left out (its default applies) and reported in `warnings`, rather than refusing the
 * request. `phone_number` and `text` stay strict: without a valid one nothing is sent (otp-core
 * refuses it, naming the field). `sender` is optional: the account's default sender, else the
 * operator's (DEFAULT_SENDER), stands in. What is usable is decided by the contract's own schema.
 */
export function vendorSendCommand(
  b: Record<string, unknown>,
  actor: { accountSid: string; parentAccountSid?: string },
  defaultSender: string | undefined,
): VendorSend {
  const warnings: VendorWarning[] = [];
  const ignore = (vendorField: string, why: string) =>
    warnings.push({ field: vendorField, message: `${vendorField} ${why}: ignored` });
  const text = typeof b.text === 'string' && !b.text.includes('{code}') ? `${b.text} {code}` : b.text;
  const command: Record<string, unknown> = {
    service: typeof b.service === 'string' ? b.service : 'otp',
    to: b.phone_number,
    body: text,
    ...actor,
  };

  if (b.channel !== undefined) {
    const channel = typeof b.channel === 'string' ? CHANNEL[b.channel.trim().toLowerCase()] : undefined;
    if (channel) command.channel = channel;
    else ignore('channel', "must be 'sms' or 'voice_sms'");
  }
  for (const [vendor, ours] of Object.entries(INTEGERS)) {
    if (b[vendor] === undefined) continue;
    const n = castInteger(b[vendor]);
    if (n === undefined) ignore(vendor, 'must be an integer');
    else command[ours] = n;
  }
  for (const [vendor, ours] of Object.entries(BOOLEANS)) {
    if (b[vendor] === undefined) continue;
    const v = castBoolean(b[vendor]);
    if (v === undefined) ignore(vendor, 'must be true or false');
    else command[ours] = v;
  }
  // The voice options mean something to a voice_sms only; an sms ignores them, as the seed does.
  const strings = command.channel === 'call' ? STRINGS : { recipient_ip: STRINGS.recipient_ip };
  for (const [vendor, ours] of Object.entries(strings)) {
    if (b[vendor] === undefined) continue;
    const v = castString(b[vendor]);
    if (v === undefined) ignore(vendor, 'must be a string');
    else command[ours] = v;
  }
  if (b.sender !== undefined) {
    const sender = formatSender(b.sender);
    if (sender === undefined) ignore('sender', 'must be a phone number or 3-11 letters and digits');
    else command.from = sender;
  }

  // What the contract still refuses among the optional values is left out, one at a time.
  for (let round = 0; round < OPTIONAL.size + 1; round++) {
    if (command.from === undefined && defaultSender !== undefined) command.from = defaultSender;
    const parsed = SendOtpCommand.safeParse(command);
    if (parsed.success) break;
    const issue = parsed.error.issues.find((i) => {
      const field = String(i.path[0]);
      // The default sender is not the caller's value: if it does not fit, otp-core says so.
      return (
        OPTIONAL.has(field) && command[field] !== undefined && !(field === 'from' && command.from === defaultSender)
      );
    });
    if (!issue) break;
    const field = String(issue.path[0]);
    const vendorField = VENDOR_FIELD[field] ?? field;
    delete command[field];
    ignore(vendorField, issue.message);
  }
  return { command, warnings };
}

function castInteger(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : undefined;
  if (typeof v === 'string' && /^\s*[+-]?\d{1,15}(\.0*)?\s*$/.test(v)) return Math.trunc(Number(v));
  return undefined;
}

function castBoolean(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === 0) return v === 1;
  if (typeof v !== 'string') return undefined;
  const s = v.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(s)) return true;
  if (['false', '0', 'no', 'off'].includes(s)) return false;
  return undefined;
}

function castString(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** A `+` number stays one; anything else keeps only the letters and digits a sender ID may hold (at most 11). */
function formatSender(v: unknown): string | undefined {
  const s = castString(v);
  if (s === undefined) return undefined;
  if (s.startsWith('+')) return s;
  const id = s.replace(/[^A-Za-z0-9]/g, '').slice(0, 11);
  return id.length >= 3 ? id : undefined;
}
