import { nestedDeeperThan, nulCharacterAt } from './validation';

describe('nulCharacterAt', () => {
  it('names where a NUL character is, in a value or a key', () => {
    expect(nulCharacterAt({ service: 'a', limits: { x: 'k\u0000' } })).toBe('limits.x');
    expect(nulCharacterAt({ fallback: [{ channel: 'sms' }, { to: '\u0000' }] })).toBe('fallback.1.to');
    expect(nulCharacterAt({ ['a\u0000']: 1 })).toBe('a\u0000');
    expect(nulCharacterAt('\u0000')).toBe('');
    expect(nulCharacterAt({ service: 'a', n: 1, b: true, z: null })).toBeUndefined();
  });

  it('walks a body nested far deeper than any contract, without exhausting the stack', () => {
    let deep: unknown = 'x\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(nulCharacterAt({ a: deep })).toMatch(/^a(\.0)+$/);
  });
});

describe('nestedDeeperThan', () => {
  it('measures objects and arrays, not scalars', () => {
    expect(nestedDeeperThan({ fallback: [{ channel: 'sms' }] }, 3)).toBe(false);
    expect(nestedDeeperThan({ fallback: [{ channel: 'sms', x: {} }] }, 3)).toBe(true);
    expect(nestedDeeperThan('text', 0)).toBe(false);
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(nestedDeeperThan(deep, 32)).toBe(true);
  });
});
