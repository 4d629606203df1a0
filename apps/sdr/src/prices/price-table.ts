import { CHANNELS, type Channel } from '@app/contracts';
import { ConfigError } from '@app/platform';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

/** The repository's default table, relative to the working directory (the image's /app). */
export const DEFAULT_PRICES_FILE = 'config/prices.json';

const price = z.number().min(0).max(1000);
const channelPrices = z
  .record(
    z.union([z.literal('*'), z.string().regex(/^[A-Z]{2}$/, 'country codes are ISO 3166-1 alpha-2, upper case')]),
    price,
  )
  .refine((p) => '*' in p, 'needs a "*" default price');

const PriceFile = z.object({
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code (USD)'),
  prices: z.object(
    Object.fromEntries(CHANNELS.map((c) => [c, channelPrices])) as Record<Channel, typeof channelPrices>,
  ),
});
export type PriceFile = z.infer<typeof PriceFile>;

/**
 * Price per billable unit (an SMS segment, a call, an email) by channel and destination
 * country, with a `*` default per channel. Prices are kept in millionths so that sums are exact.
 */
export class PriceTable {
  private constructor(
    readonly currency: string,
    private readonly micros: Record<Channel, Record<string, number>>,
  ) {}

  static from(file: PriceFile): PriceTable {
    const micros = Object.fromEntries(
      CHANNELS.map((c) => [
        c,
        Object.fromEntries(Object.entries(file.prices[c]).map(([country, p]) => [country, Math.round(p * 1_000_000)])),
      ]),
    ) as Record<Channel, Record<string, number>>;
    return new PriceTable(file.currency, micros);
  }

  /** Loads and validates a table; a bad one stops the start naming SDR_PRICES_FILE. */
  static load(path: string | undefined): PriceTable {
    const file = resolve(path ?? DEFAULT_PRICES_FILE);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new ConfigError('SDR_PRICES_FILE', `cannot be read as JSON (${file}): ${(error as Error).message}`);
    }
    const parsed = PriceFile.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ConfigError('SDR_PRICES_FILE', `(${file}) ${issue.path.join('.') || 'file'}: ${issue.message}`);
    }
    return PriceTable.from(parsed.data);
  }

  unitPriceMicros(channel: Channel, countryCode: string | null): number {
    const table = this.micros[channel];
    return (countryCode !== null ? table[countryCode] : undefined) ?? table['*'];
  }
}

/** Millionths as a decimal string with six places (`7900` → `0.007900`). */
export function formatMicros(micros: number | string | bigint): string {
  const n = BigInt(micros);
  const negative = n < 0n;
  const abs = negative ? -n : n;
  const whole = abs / 1_000_000n;
  const frac = String(abs % 1_000_000n).padStart(6, '0');
  return `${negative ? '-' : ''}${whole}.${frac}`;
}
