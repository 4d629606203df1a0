/**
 * The fraud guard's answers (SPEC 12, `/2fa/fraud/*`), as far as the console shows them.
 * Local until the guard's contract types are on main; then imported from @app/contracts.
 */
export interface FraudSettings {
  accountSid: string;
  mode: 'block' | 'monitor';
  level: string;
  allowBypass: boolean;
  defaultBlockedCountries?: string[];
  dateUpdated: string | null;
}

export interface GeoPermission {
  countryCode: string;
  sms: 'allow' | 'block';
  call: 'allow' | 'block';
  source?: 'account' | 'default';
}

export interface SafeListEntry {
  id: string;
  kind: 'number' | 'prefix';
  value: string;
  description: string | null;
  dateCreated: string;
  dateExpires: string | null;
}

export interface FraudBlock {
  id: string;
  scope: { kind: string; value: string };
  reason: string;
  counters: Record<string, number>;
  level: number;
  dateCreated: string;
  dateUntil: string;
}
