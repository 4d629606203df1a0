import { CircuitBreaker } from './circuit-breaker';

describe('CircuitBreaker', () => {
  const settings = { failures: 3, windowSeconds: 10, openSeconds: 30 };

  it('opens after N transient failures within the window, and only then', () => {
    const c = new CircuitBreaker(settings);
    c.failed(0);
    c.failed(5_000);
    // The first failure left the window: two within it, still closed.
    c.failed(11_000);
    expect(c.state(11_000)).toBe('closed');
    c.failed(12_000);
    expect(c.state(12_000)).toBe('open');
    expect(c.tryAcquire(12_000)).toBe(false);
  });

  it('lets one probe through after openSeconds; its success closes the circuit', () => {
    const c = new CircuitBreaker({ ...settings, failures: 1 });
    c.failed(0);
    expect(c.tryAcquire(29_999)).toBe(false);
    expect(c.state(30_000)).toBe('half-open');
    expect(c.tryAcquire(30_000)).toBe(true);
    // One probe at a time.
    expect(c.tryAcquire(30_001)).toBe(false);
    c.succeeded();
    expect(c.state(30_002)).toBe('closed');
    expect(c.tryAcquire(30_002)).toBe(true);
  });

  it('opens again for openSeconds when the probe fails', () => {
    const c = new CircuitBreaker({ ...settings, failures: 1 });
    c.failed(0);
    expect(c.tryAcquire(30_000)).toBe(true);
    c.failed(31_000);
    expect(c.state(31_000)).toBe('open');
    expect(c.tryAcquire(60_999)).toBe(false);
    expect(c.tryAcquire(61_000)).toBe(true);
  });
});
