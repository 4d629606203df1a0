/**
 * What may appear in logs. A destination keeps enough to tell two apart in an incident
 * (country prefix and last two digits), never the whole number or address.
 */
export function maskDestination(to: string): string {
  const at = to.indexOf('@');
  if (at > 0) return `${to[0]}***${to.slice(at)}`;
  if (to.length <= 6) return '*'.repeat(to.length);
  return `${to.slice(0, 3)}${'*'.repeat(to.length - 5)}${to.slice(-2)}`;
}
