import { alphabetOf, codeMatches, generateCode, hashCode, renderBody } from './otp-code';

describe('otp codes', () => {
  it('uses digits unless a switch says otherwise, and unions the switches given true', () => {
    expect(alphabetOf({})).toBe('0123456789');
    expect(alphabetOf({ allowDigits: false, allowUpperCase: false })).toBe('0123456789');
    expect(alphabetOf({ allowUpperCase: true })).toMatch(/^[A-Z]{26}$/);
    expect(alphabetOf({ allowDigits: true, allowLowerCase: true })).toBe('0123456789abcdefghijklmnopqrstuvwxyz');
  });

  it('generates codes of the length and alphabet asked for', () => {
    expect(generateCode(4, '0123456789')).toMatch(/^\d{4}$/);
    expect(generateCode(32, 'AB')).toMatch(/^[AB]{32}$/);
  });

  it('draws every symbol about equally often (no modulo bias)', () => {
    // 7 symbols: a byte-modulo generator would favour the first four (256 = 36 * 7 + 4).
    const alphabet = 'abcdefg';
    const counts = new Map<string, number>();
    const draws = 70_000;
    for (const c of generateCode(draws, alphabet)) counts.set(c, (counts.get(c) ?? 0) + 1);
    const expected = draws / alphabet.length;
    // Chi-square with 6 degrees of freedom; 22.46 is the 0.999 quantile.
    const chiSquare = [...alphabet].reduce((sum, c) => sum + ((counts.get(c) ?? 0) - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(22.46);
  });

  it('renders the code literally, even when it holds replacement patterns', () => {
    expect(renderBody('Code: {code}. Again: {code}', "$&$$$'$`")).toBe("Code: $&$$$'$`. Again: $&$$$'$`");
    expect(renderBody('no placeholder', '1234')).toBe('no placeholder');
  });

  it('stores only a keyed hash bound to the request, and compares it', () => {
    const hash = hashCode('secret-a', 'OTP1', '123456');
    expect(hash).not.toContain('123456');
    expect(codeMatches('secret-a', 'OTP1', '123456', hash)).toBe(true);
    expect(codeMatches('secret-a', 'OTP1', '123457', hash)).toBe(false);
    // Another request, or another server secret, does not accept the same code.
    expect(codeMatches('secret-a', 'OTP2', '123456', hash)).toBe(false);
    expect(codeMatches('secret-b', 'OTP1', '123456', hash)).toBe(false);
  });
});
