import { type Channel, phoneFacts } from '@app/contracts';
import { Counter, Gauge, Histogram } from 'prom-client';
import { CircuitBreaker, type CircuitSettings, type CircuitState } from './circuit-breaker';
import type { ChannelProvider } from './provider';

const CIRCUIT_VALUES: Record<CircuitState, number> = { closed: 0, 'half-open': 1, open: 2 };

const providerCalls = new Counter({
  name: 'dispatch_provider_requests_total',
  help: 'Provider calls by outcome (sent, transient, permanent, skipped = circuit open)',
  labelNames: ['channel', 'provider', 'outcome'],
});
const providerLatency = new Histogram({
  name: 'dispatch_provider_latency_seconds',
  help: 'Time one provider call took, answered or not',
  labelNames: ['channel', 'provider'],
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25],
});
const circuitGauge = new Gauge({
  name: 'dispatch_provider_circuit_state',
  help: 'Circuit breaker per provider: 0 closed, 1 half-open, 2 open',
  labelNames: ['channel', 'provider'],
});

/** One provider of a channel's chain, with the countries it serves (none: every country). */
export interface RouteEntry {
  provider: ChannelProvider;
  countries?: readonly string[];
  circuit?: CircuitSettings;
}

/** A provider chosen for one call; report how it went so that its circuit learns. */
export interface Candidate {
  provider: ChannelProvider;
  /** Settles the call: `sent`, `transient`, `permanent`, or `none` (no verdict on the provider). */
  settle(outcome: 'sent' | 'transient' | 'permanent' | 'none', seconds: number): void;
}

interface Route {
  provider: ChannelProvider;
  countries?: ReadonlySet<string>;
  breaker: CircuitBreaker;
}

/**
 * The ordered providers of one channel (SPEC section 13). For a destination, the providers that
 * serve its country (an entry without `countries` serves all) in the configured order; those
 * whose circuit is open are skipped, unless no other is left — then the first is tried anyway,
 * since a message sent late beats none (a single provider behaves as it always did).
 */
export class ProviderChain {
  private readonly routes: Route[];

  constructor(
    private readonly channel: Channel,
    entries: RouteEntry[],
    private readonly now: () => number,
  ) {
    if (entries.length === 0) throw new Error(`no provider for ${channel}`);
    this.routes = entries.map((e) => ({
      provider: e.provider,
      countries: e.countries ? new Set(e.countries) : undefined,
      breaker: new CircuitBreaker(e.circuit ?? { failures: 5, windowSeconds: 60, openSeconds: 30 }),
    }));
    for (const r of this.routes) circuitGauge.set({ channel, provider: r.provider.name }, 0);
  }

  get providers(): ChannelProvider[] {
    return this.routes.map((r) => r.provider);
  }

  /** The provider owning `/2fa/callbacks/{name}`; `sms`/`call` name the channel's webhook provider. */
  byCallbackName(name: string): ChannelProvider | undefined {
    return (
      this.routes.find((r) => r.provider.callbackName === name)?.provider ??
      (name === this.channel ? this.routes.find((r) => r.provider.name === 'webhook')?.provider : undefined)
    );
  }

  /** The providers serving this destination, in order, whatever their circuits say. */
  serving(to: string): Route[] {
    const country = this.channel === 'email' ? undefined : countryOf(to);
    return this.routes.filter((r) => !r.countries || (country !== undefined && r.countries.has(country)));
  }

  /**
   * Yields the providers to try for one dispatch, one after the other: the caller moves to the
   * next only after a transient failure of the previous one.
   */
  *candidates(to: string): Generator<Candidate> {
    const serving = this.serving(to);
    let yielded = 0;
    for (const route of serving) {
      const now = this.now();
      if (!route.breaker.tryAcquire(now)) {
        providerCalls.inc({ channel: this.channel, provider: route.provider.name, outcome: 'skipped' });
        this.publishState(route);
        continue;
      }
      yielded++;
      this.publishState(route);
      yield this.candidate(route);
    }
    // Every serving provider's circuit is open: the first is tried all the same.
    if (yielded === 0 && serving.length > 0) yield this.candidate(serving[0]);
  }

  private candidate(route: Route): Candidate {
    const labels = { channel: this.channel, provider: route.provider.name };
    return {
      provider: route.provider,
      settle: (outcome, seconds) => {
        if (outcome !== 'none') providerCalls.inc({ ...labels, outcome });
        providerLatency.observe(labels, seconds);
        if (outcome === 'sent' || outcome === 'permanent') route.breaker.succeeded();
        else if (outcome === 'transient') route.breaker.failed(this.now());
        else route.breaker.released();
        this.publishState(route);
      },
    };
  }

  private publishState(route: Route): void {
    circuitGauge.set(
      { channel: this.channel, provider: route.provider.name },
      CIRCUIT_VALUES[route.breaker.state(this.now())],
    );
  }
}

/** ISO country of an E.164 number (libphonenumber's metadata), or undefined. */
export function countryOf(to: string): string | undefined {
  return phoneFacts(to).country;
}
