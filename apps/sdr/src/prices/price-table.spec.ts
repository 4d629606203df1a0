import { ConfigError } from '@app/platform';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countryOf } from './country';
import { DEFAULT_PRICES_FILE, formatMicros, PriceTable } from './price-table';

function file(content: string): string {
  const path = join(tmpdir(), `prices-${process.pid}-${Math.random()}.json`);
  writeFileSync(path, content);
  return path;
}

describe('price table', () => {
  it('loads the repository default, with a * price for every channel', () => {
    const table = PriceTable.load(DEFAULT_PRICES_FILE);
    for (const channel of ['sms', 'call', 'email'] as const)
      expect(table.unitPriceMicros(channel, 'ZZ')).toBeGreaterThan(0);
    expect(table.currency).toMatch(/^[A-Z]{3}$/);
  });

  it('prices by channel and country, falling back to the channel default', () => {
    const table = PriceTable.from({
      currency: 'EUR',
      prices: { sms: { '*': 0.05, US: 0.0079 }, call: { '*': 0.013 }, email: { '*': 0.0001 } },
    });
    expect(table.unitPriceMicros('sms', 'US')).toBe(7900);
    expect(table.unitPriceMicros('sms', 'FR')).toBe(50000);
    expect(table.unitPriceMicros('sms', null)).toBe(50000);
    expect(table.unitPriceMicros('email', null)).toBe(100);
  });

  it.each([
    ['not json', '{'],
    ['no * default', '{"currency":"USD","prices":{"sms":{"US":1},"call":{"*":1},"email":{"*":1}}}'],
    ['a missing channel', '{"currency":"USD","prices":{"sms":{"*":1},"call":{"*":1}}}'],
    ['a negative price', '{"currency":"USD","prices":{"sms":{"*":-1},"call":{"*":1},"email":{"*":1}}}'],
    ['a lower-case country', '{"currency":"USD","prices":{"sms":{"*":1,"us":1},"call":{"*":1},"email":{"*":1}}}'],
    ['a bad currency', '{"currency":"dollars","prices":{"sms":{"*":1},"call":{"*":1},"email":{"*":1}}}'],
  ])('refuses a table with %s, naming SDR_PRICES_FILE', (_, content) => {
    expect(() => PriceTable.load(file(content))).toThrow(ConfigError);
    expect(() => PriceTable.load(file(content))).toThrow(/SDR_PRICES_FILE/);
  });

  it('refuses a missing file, naming SDR_PRICES_FILE', () => {
    expect(() => PriceTable.load('/nonexistent/prices.json')).toThrow(/SDR_PRICES_FILE/);
  });

  it('formats millionths exactly', () => {
    expect(formatMicros(7900)).toBe('0.007900');
    expect(formatMicros('123456789012')).toBe('123456.789012');
    expect(formatMicros(0)).toBe('0.000000');
  });
});

describe('country of a destination', () => {
  it.each([
    ['sms', '+14155552671', 'US'],
    ['sms', '+919960639903', 'IN'],
    ['call', '+447400123456', 'GB'],
    ['email', 'jane@example.com', null],
    ['sms', '+999123', null],
  ] as const)('%s %s → %s', (channel, to, country) => {
    expect(countryOf(channel, to)).toBe(country);
  });
});
