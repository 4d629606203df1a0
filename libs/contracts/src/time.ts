/** Formats a date the way the seed does: `2021-02-04T03:52:09.400+0000` (always UTC). */
export function formatTimestamp(date: Date): string {
  return date.toISOString().replace('Z', '+0000');
}
