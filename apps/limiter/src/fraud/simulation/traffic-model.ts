import { type CountryCode, getExampleNumber, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/examples.mobile.json';

/** A seeded generator (mulberry32): the same seed gives the same traffic, run after run. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, maxExclusive: number): number {
    return min + Math.floor(this.next() * (maxExclusive - min));
  }

  normal(): number {
    const u = Math.max(this.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  poisson(mean: number): number {
    if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  ip(): string {
    return `${this.int(1, 224)}.${this.int(0, 256)}.${this.int(0, 256)}.${this.int(1, 255)}`;
  }
}

/** Picks an index by cumulative weights. */
export class Weighted {
  private readonly cumulative: number[];

  constructor(weights: number[]) {
    let sum = 0;
    this.cumulative = weights.map((w) => (sum += w));
  }

  pick(rng: Rng): number {
    const x = rng.next() * this.cumulative[this.cumulative.length - 1];
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

export interface Country {
  code: string;
  /** Share of the legitimate traffic (relative). */
  weight: number;
  /** Share of its sends that get verified. */
  conversion: number;
  /** Prefixes (numbers without their last 4 digits), most used first. */
  prefixes: string[];
  zipf: Weighted;
}

/**
 * 20 countries: shares of legitimate traffic, and KG with under 20 legitimate sends a day
 * (attack B's target). UZ and LK are the high-cost countries attacks A and C hit.
 */
const COUNTRY_WEIGHTS: [string, number][] = [
  ['US', 18],
  ['IN', 12],
  ['BR', 8],
  ['GB', 7],
  ['DE', 6],
  ['FR', 5],
  ['ID', 5],
  ['MX', 5],
  ['PH', 4],
  ['NG', 4],
  ['ES', 4],
  ['IT', 3],
  ['TR', 3],
  ['VN', 3],
  ['EG', 3],
  ['PK', 3],
  ['KE', 2],
  ['UZ', 0.6],
  ['LK', 0.4],
  ['KG', 0.008],
];

const TOTAL_PREFIXES = 3000;

/** Distinct valid mobile prefixes of a country: its example number with the 3 digits before the last 4 varied. */
export function prefixesOf(code: string, count: number, rng: Rng): string[] {
  const example = getExampleNumber(code as CountryCode, examples)!.number as string;
  const base = example.slice(0, -7);
  const seen = new Set<string>();
  const found: string[] = [];
  for (let attempt = 0; attempt < 20_000 && found.length < count; attempt++) {
    const prefix = `${base}${String(rng.int(0, 1000)).padStart(3, '0')}`;
    if (seen.has(prefix)) continue;
    seen.add(prefix);
    const ok = ['0000', '5555', '9999'].every((tail) => {
      const parsed = parsePhoneNumberFromString(prefix + tail);
      const type = parsed?.getType();
      return parsed?.isValid() && parsed.country === code && (type === 'MOBILE' || type === 'FIXED_LINE_OR_MOBILE');
    });
    if (ok) found.push(prefix);
  }
  return found;
}

/** The countries, with ~3,000 prefixes shared out by traffic (at least 8 each) and a Zipf mix within each. */
export function countries(rng: Rng): Country[] {
  const totalWeight = COUNTRY_WEIGHTS.reduce((s, [, w]) => s + Math.pow(w, 0.7), 0);
  return COUNTRY_WEIGHTS.map(([code, weight]) => {
    const count = Math.max(8, Math.round((TOTAL_PREFIXES * Math.pow(weight, 0.7)) / totalWeight));
    const prefixes = prefixesOf(code, count, rng);
    return {
      code,
      weight,
      conversion: 0.7 + 0.2 * rng.next(),
      prefixes,
      zipf: new Weighted(prefixes.map((_, i) => 1 / (i + 1))),
    };
  });
}

/** Legitimate sends per hour at `hourOfDay` (UTC): a daily cycle around the mean, low at night. */
export function hourlyRate(mean: number, hourOfDay: number): number {
  return mean * (1 + 0.6 * Math.sin((2 * Math.PI * (hourOfDay - 9)) / 24));
}

/** Seconds a person takes to type the code: lognormal, median 20 s, never under 3 s. */
export function verifyDelay(rng: Rng): number {
  return 3 + Math.exp(Math.log(20) + 0.8 * rng.normal());
}
