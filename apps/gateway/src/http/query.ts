/**
 * A query string's parameters under their canonical names: seed 001 spells some both ways
 * (`Page` and `page`, `SortBy`), so names are matched without regard to case. Unknown
 * parameters are dropped; repeated ones stay arrays, and validation refuses them.
 */
export function queryParams<K extends string>(
  query: Record<string, unknown>,
  known: readonly K[],
): Partial<Record<K, unknown>> {
  const byLower = new Map(known.map((k) => [k.toLowerCase(), k]));
  const params: Partial<Record<K, unknown>> = {};
  for (const [key, value] of Object.entries(query ?? {})) {
    const canonical = byLower.get(key.toLowerCase());
    if (canonical !== undefined) params[canonical] = value;
  }
  return params;
}
