/** Timestamps as the API gives them (`2026-12-01T09:40:12.301+0000`), shown in UTC without the noise. */
export function formatTime(value: string | null | undefined): string {
  if (!value) return '—';
  return value
    .replace('T', ' ')
    .replace(/\.\d+/, '')
    .replace(/\+0000$/, ' UTC');
}

export function formatPercent(rate: number): string {
  return `${(rate * 100).toFixed(1)} %`;
}

export function formatCost(cost: string, unit: string): string {
  return `${cost} ${unit}`;
}
