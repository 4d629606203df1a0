import { z } from 'zod';
import { pageOf, sortBy, timeBound } from './paging';

describe('paging', () => {
  it('builds the seed 001 envelope (pageSize=2&page=0 of 7)', () => {
    const page = pageOf(['a', 'b'], 7, { page: 0, pageSize: 2 }, '/2fa/limits/search');
    expect(page).toEqual({
      result: ['a', 'b'],
      pageSize: 2,
      total: 7,
      page: 0,
      numPages: 4,
      start: 0,
      end: 1,
      firstPageUri: '/2fa/limits/search?pageSize=2&page=0',
      nextPageUri: '/2fa/limits/search?pageSize=2&page=1',
      uri: '/2fa/limits/search?pageSize=2&page=0',
    });
  });

  it('has no next page on the last one and keeps the filters in every URI', () => {
    const page = pageOf(['g'], 7, { page: 3, pageSize: 2 }, '/2fa/limits/search', {
      name: 'otp',
      SortBy: 'name:desc',
      accountSid: undefined,
    });
    expect(page).toMatchObject({
      start: 6,
      end: 6,
      nextPageUri: null,
      uri: '/2fa/limits/search?name=otp&SortBy=name%3Adesc&pageSize=2&page=3',
    });
    expect(pageOf([], 0, { page: 0, pageSize: 10 }, '/x')).toMatchObject({
      numPages: 0,
      start: 0,
      end: 0,
      nextPageUri: null,
    });
  });

  it('reads time bounds as UTC, a bare date as midnight', () => {
    expect(timeBound.parse('2018-10-05')).toBe('2018-10-05T00:00:00.000Z');
    expect(timeBound.parse('2018-10-05T22:45:32')).toBe('2018-10-05T22:45:32.000Z');
    expect(timeBound.parse('2018-10-05T22:45:32+02:00')).toBe('2018-10-05T20:45:32.000Z');
    expect(timeBound.safeParse('yesterday').success).toBe(false);
    expect(timeBound.safeParse('2018-13-45').success).toBe(false);
    // Days that do not exist are refused, not rolled over into the next month.
    expect(timeBound.safeParse('2026-02-30').success).toBe(false);
    expect(timeBound.safeParse('2026-04-31T10:00:00').success).toBe(false);
    expect(timeBound.parse('2024-02-29')).toBe('2024-02-29T00:00:00.000Z');
  });

  it('parses SortBy with an optional direction, ascending by default', () => {
    const schema = z.object({ SortBy: sortBy(['name', 'dateCreated'], { field: 'dateCreated', direction: 'desc' }) });
    expect(schema.parse({}).SortBy).toEqual({ field: 'dateCreated', direction: 'desc' });
    expect(schema.parse({ SortBy: 'name' }).SortBy).toEqual({ field: 'name', direction: 'asc' });
    expect(schema.parse({ SortBy: 'datecreated:DESC' }).SortBy).toEqual({ field: 'dateCreated', direction: 'desc' });
    expect(schema.safeParse({ SortBy: 'email:asc' }).success).toBe(false);
    expect(schema.safeParse({ SortBy: 'name:sideways' }).success).toBe(false);
  });
});
