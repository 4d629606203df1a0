import {
  type CountryCode,
  getCountries,
  getExampleNumber,
  isValidPhoneNumber,
  parsePhoneNumberFromString,
} from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/examples.mobile.json';
import { phoneFacts } from './phone-facts';
import { E164 } from './validation';

/** Every country's example mobile number, and near misses of it: too short, too long, one digit off. */
function sampleTexts(): string[] {
  const texts: string[] = [];
  for (const country of getCountries()) {
    const number = getExampleNumber(country as CountryCode, examples)?.number;
    if (!number) continue;
    const last = Number(number.at(-1));
    texts.push(number, number.slice(0, -1), `${number}7`, `${number.slice(0, -1)}${(last + 1) % 10}`);
  }
  return [...texts, '+14155550123', '+19005550123', '+800123', '+999123456789', 'ACME', '', 'a@b.example'];
}

describe('phoneFacts', () => {
  it('says what a fresh parse says, for every country', () => {
    for (const text of sampleTexts()) {
      const parsed = parsePhoneNumberFromString(text);
      expect({ text, ...phoneFacts(text) }).toEqual({
        text,
        country: parsed?.country,
        countryCallingCode: parsed?.countryCallingCode,
        type: parsed?.getType(),
        valid: parsed?.isValid() ?? false,
      });
    }
  });

  it('calls an E.164 text valid exactly when isValidPhoneNumber does (the phoneNumber field rests on it)', () => {
    const e164 = sampleTexts().filter((text) => E164.test(text));
    expect(e164.length).toBeGreaterThan(700);
    for (const text of e164)
      expect({ text, valid: phoneFacts(text).valid }).toEqual({ text, valid: isValidPhoneNumber(text) });
  });

  it('remembers a number, and forgets the least recently used beyond 1000', () => {
    const kept = phoneFacts('+14155550100');
    const fillers = Array.from({ length: 999 }, (_, i) => `+1415600${String(i).padStart(4, '0')}`);
    const first = fillers.map((text) => phoneFacts(text));
    // 1000 kept now, the oldest first; using one makes it the newest.
    expect(phoneFacts('+14155550100')).toBe(kept);
    expect(phoneFacts(fillers[0])).toBe(first[0]);
    phoneFacts('+14157000000'); // pushes out fillers[1], the oldest now
    expect(phoneFacts('+14155550100')).toBe(kept);
    expect(phoneFacts(fillers[2])).toBe(first[2]);
    const again = phoneFacts(fillers[1]);
    expect(again).not.toBe(first[1]);
    expect(again).toEqual(first[1]);
  });

  it('does not keep long texts', () => {
    const text = `+1415555012${'3'.repeat(40)}`;
    expect(phoneFacts(text)).not.toBe(phoneFacts(text));
    expect(phoneFacts(text)).toEqual(phoneFacts(text));
  });
});
