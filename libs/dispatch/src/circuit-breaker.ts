/** Closed: traffic flows. Open: skipped until `openSeconds` passed. Half-open: one probe at a time. */
export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitSettings {
  failures: number;
  windowSeconds: number;
  openSeconds: number;
}

/**
 * A circuit breaker per provider and replica (each replica learns on its own; no shared state
 * to fail). `failures` transient failures within `windowSeconds` open it; while open the
 * provider is skipped; after `openSeconds` the next dispatch is let through as the one probe
 * (half-open): its success closes the circuit, its failure opens it again for `openSeconds`.
 * Time comes from the caller (the service's clock), so tests need not sleep.
 */
export class CircuitBreaker {
  private failureTimes: number[] = [];
  private openedAt: number | null = null;
  private probing = false;

  constructor(private readonly settings: CircuitSettings) {}

  state(nowMs: number): CircuitState {
    if (this.openedAt === null) return 'closed';
    return nowMs - this.openedAt >= this.settings.openSeconds * 1000 ? 'half-open' : 'open';
  }

  /**
   * Whether a dispatch may go to this provider now. In half-open this takes the probe slot: a
   * second dispatch meanwhile is not let through until the probe's outcome is known.
   */
  tryAcquire(nowMs: number): boolean {
    const state = this.state(nowMs);
    if (state === 'closed') return true;
    if (state === 'open' || this.probing) return false;
    this.probing = true;
    return true;
  }

  succeeded(): void {
    this.failureTimes = [];
    this.openedAt = null;
    this.probing = false;
  }

  /** A transient failure (permanent ones say nothing about the provider's health). */
  failed(nowMs: number): void {
    if (this.openedAt !== null) {
      // The probe failed (or a call that started before the circuit opened): open again.
      this.openedAt = nowMs;
      this.probing = false;
      return;
    }
    const windowStart = nowMs - this.settings.windowSeconds * 1000;
    this.failureTimes = this.failureTimes.filter((t) => t > windowStart);
    this.failureTimes.push(nowMs);
    if (this.failureTimes.length >= this.settings.failures) {
      this.openedAt = nowMs;
      this.failureTimes = [];
    }
  }

  /** A call that ended without a verdict on the provider (e.g. our own lease was lost). */
  released(): void {
    this.probing = false;
  }
}
