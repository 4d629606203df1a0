import { type Channel, phoneFacts } from '@app/contracts';

/**
 * The country of a destination (ISO 3166-1 alpha-2) from its number; null for email, whose
 * addresses say nothing reliable about a country, and for numbers no country claims.
 */
export function countryOf(channel: Channel, to: string): string | null {
  if (channel === 'email' || to.includes('@')) return null;
  return phoneFacts(to).country ?? null;
}
