import { catalogMessage, DomainError, ERROR_CATALOG, ErrorCode, httpStatusOf, isErrorReply } from './error-catalog';

/**
 * The catalog is a public API (SPEC section 4): clients switch on these codes and show these
 * messages. This table is written out by hand on purpose; a change to the catalog must be a
 * change to this table too, made knowingly. Rows are only ever added.
 *
 * Messages are as SPEC section 4 prints them; `NAME` and `…` stand for the detail a message
 * takes (a limit name, the field and the problem).
 */
const SPEC_TABLE: ReadonlyArray<readonly [code: number, http: number, message: string]> = [
  [400, 400, 'Invalid request: …'],
  [401, 401, 'Unauthorized'],
  [403, 403, 'Forbidden'],
  // Ours: no such route; the development outbox while it is off.
  [404, 404, 'Not Found'],
  [453, 404, 'Too many OTP request to same destination Number'],
  [454, 429, 'Limit exceeded: NAME'],
  // SPEC 12: the fraud guard refused the send; the body adds `reason` and `retryAfter`.
  [456, 403, 'Blocked by fraud guard: NAME'],
  // Ours: no answer in time after the command left; it may have been carried out. A send
  // repeated with the same Idempotency-Key answers what the first one did, or does it once.
  [457, 503, 'Outcome unknown: retry with the same Idempotency-Key'],
  [470, 404, 'Invalid OTP Unique Id'],
  [471, 409, 'OTP is already verified'],
  [472, 410, 'OTP is expired'],
  [473, 410, 'OTP is canceled'],
  [474, 401, 'Invalid OTP Code'],
  [475, 429, 'Too many wrong attempts'],
  // Ours: verify or cancel of a request whose every channel failed to deliver (fallback included).
  [476, 410, 'OTP delivery failed'],
  // Ours: a session record (SDR) the caller cannot see: unknown, or a stranger's.
  [481, 404, 'Unknown session record'],
  // Ours: a fraud guard safe-list entry or block the caller cannot see: unknown, or a stranger's.
  [482, 404, 'Unknown fraud guard entry'],
  // Ours: the console's sign-in after too many failures for that account SID or client (Retry-After set).
  [486, 429, 'Too many failed sign-ins'],
  // Ours: a mutating request made with a console session cookie but without its CSRF token.
  [487, 403, 'CSRF token missing or invalid'],
  [490, 404, 'Invalid OTP Unique Id'],
  [492, 409, 'Limit with that Name already exists'],
  [493, 409, 'Invalid Limit Id'],
  [495, 409, 'Invalid Limit Name: NAME'],
  // Ours: the same Idempotency-Key with a different body.
  [497, 409, 'Idempotency-Key reused with a different request'],
  // Ours: a bug; the reply carries an errorId, never internals.
  [500, 500, 'Internal error'],
  [503, 503, 'Service unavailable'],
];

const PLACEHOLDER = /(NAME|…)$/;

describe('error catalog', () => {
  it('has exactly the codes of the table: none missing, none extra', () => {
    const catalogCodes = Object.keys(ERROR_CATALOG)
      .map(Number)
      .sort((a, b) => a - b);
    const tableCodes = SPEC_TABLE.map(([code]) => code).sort((a, b) => a - b);
    expect(catalogCodes).toEqual(tableCodes);
    // The named constants are the same set, so no code is reachable by name only.
    expect(Object.values(ErrorCode).sort((a, b) => a - b)).toEqual(tableCodes);
    expect(new Set(tableCodes).size).toBe(tableCodes.length);
  });

  it.each(SPEC_TABLE)('%i answers HTTP %i with "%s"', (code, http, message) => {
    const entry = ERROR_CATALOG[code as ErrorCode];
    expect(entry.http).toBe(http);
    expect(httpStatusOf(code)).toBe(http);
    const placeholder = PLACEHOLDER.exec(message)?.[1];
    if (placeholder) {
      // A message with a detail: the catalog keeps the prefix, the detail goes after it.
      expect(entry.message).toBe(message.slice(0, -placeholder.length));
      expect(catalogMessage(code as ErrorCode, placeholder)).toBe(message);
    } else {
      expect(entry.message).toBe(message);
      // A message without a detail ignores one, so no caller can leak data through it.
      expect(catalogMessage(code as ErrorCode, 'some detail')).toBe(message);
    }
  });

  it('puts the detail after the messages that take one', () => {
    expect(catalogMessage(454, 'per-ip')).toBe('Limit exceeded: per-ip');
    expect(catalogMessage(495, 'NoSuchLimit')).toBe('Invalid Limit Name: NoSuchLimit');
    expect(catalogMessage(400, 'to must be a valid phone number in E.164 form (+14155550123)')).toBe(
      'Invalid request: to must be a valid phone number in E.164 form (+14155550123)',
    );
    // Without a detail there is no dangling separator.
    expect(catalogMessage(454)).toBe('Limit exceeded:');
    expect(catalogMessage(401)).toBe('Unauthorized');
  });

  it('maps success to 200 and an unknown code to 500', () => {
    expect(httpStatusOf(200)).toBe(200);
    expect(httpStatusOf(999)).toBe(500);
    expect(httpStatusOf(452)).toBe(500);
  });

  it('carries a domain error across a boundary as a reply with the same code and message', () => {
    const error = new DomainError(454, 'per-ip', { retryAfter: 12 });
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe('Limit exceeded: per-ip');
    expect(error.toReply()).toEqual({ code: 454, message: 'Limit exceeded: per-ip', retryAfter: 12 });

    const invalid = new DomainError(400, 'to is required', { field: 'to' });
    expect(invalid.toReply()).toEqual({ code: 400, message: 'Invalid request: to is required', field: 'to' });

    const reply = new DomainError(474, undefined, { requestID: 'OTP0123456789abcdef0123456789abcdef' }).toReply();
    expect(reply).toEqual({ code: 474, message: 'Invalid OTP Code', requestID: 'OTP0123456789abcdef0123456789abcdef' });
    expect(isErrorReply(reply)).toBe(true);
    expect(isErrorReply({ code: 200 })).toBe(false);
  });
});
