import { z } from 'zod';
import { accountSid, boolField, intField } from './validation';

/**
 * Paging, filtering and sorting shared by every search (limits, session records, usage), in
 * the shape of seed 001's "List Limits": `page` from 0 (default 0), `pageSize` (default 10, at
 * most 1000), `startTime`/`endTime` (ISO-8601, UTC, inclusive; a bare date means midnight),
 * `SortBy=field[:asc|:desc]`.
 */
export const MAX_PAGE_SIZE = 1000;

export const pageFields = {
  page: intField(0, 10_000_000).default(0),
  pageSize: intField(1, MAX_PAGE_SIZE).default(10),
};

const BARE_DATE = /^\d{4}-\d{2}-\d{2}$/;
const HAS_ZONE = /(Z|[+-]\d{2}:?\d{2})$/i;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * A time bound as the seed describes it: a date (midnight) or a date-time, UTC unless a zone
 * is given. Parsed to an ISO string, so that it crosses NATS as plain JSON.
 */
export const timeBound = z
  .string({ error: 'must be a string' })
  .trim()
  .refine(
    (s) => BARE_DATE.test(s) || ISO_DATE_TIME.test(s),
    'must be an ISO-8601 date or date-time (2018-10-05 or 2018-10-05T22:45:32)',
  )
  .transform((s, ctx) => {
    const normalised = BARE_DATE.test(s) ? `${s}T00:00:00Z` : HAS_ZONE.test(s) ? s : `${s}Z`;
    const ms = Date.parse(normalised);
    // Date.parse rolls 2026-02-30 over to March; a date that does not exist is refused.
    const [year, month, day] = s.slice(0, 10).split('-').map(Number);
    const calendar = new Date(Date.UTC(year, month - 1, day));
    if (Number.isNaN(ms) || calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) {
      ctx.addIssue({ code: 'custom', message: 'must be a real date' });
      return z.NEVER;
    }
    return new Date(ms).toISOString();
  })
  .meta({
    description: 'ISO-8601 date or date-time, UTC unless a zone is given; a bare date means midnight. Inclusive.',
    examples: ['2026-11-23', '2026-11-23T22:45:32Z'],
  });

export type SortDirection = 'asc' | 'desc';
export interface Sort<F extends string> {
  field: F;
  direction: SortDirection;
}

/** `SortBy=field[:asc|:desc]`, ascending when no direction is given (seed 001). */
export function sortBy<F extends string>(fields: readonly [F, ...F[]], fallback: Sort<F>) {
  // A prefault goes through the transform: the documented default is what a caller would send.
  const message = `must be one of ${fields.join(', ')}, optionally followed by :asc or :desc`;
  return z
    .string({ error: 'must be a string' })
    .transform((s, ctx): Sort<F> => {
      const [name, direction = 'asc', ...rest] = s.trim().split(':');
      const field = fields.find((f) => f.toLowerCase() === name.toLowerCase());
      const dir = direction.toLowerCase();
      if (!field || rest.length || (dir !== 'asc' && dir !== 'desc')) {
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      }
      return { field, direction: dir };
    })
    .meta({ description: `${fields.join(' | ')}, optionally followed by :asc or :desc` })
    .prefault(`${fallback.field}:${fallback.direction}`);
}

/**
 * Whose resources a search looks at, resolved by the gateway from the caller, `accountSid` and
 * `subAccounts`: never wider than the caller's own account and its sub-accounts.
 */
export const searchScope = {
  accountSids: z.array(accountSid).min(1, 'must name at least one account').max(10_000),
};

/** What a service answers a search with; {@link pageOf} makes the seed's envelope of it. */
export interface PageData<T> {
  items: T[];
  /** Matches over every page. */
  total: number;
  page: number;
  pageSize: number;
}
/** The `subAccounts` switch as it comes in a query string. */
export const subAccountsField = boolField.optional();

/** A timestamp in the seed's form, always UTC. */
export const timestamp = z.string().meta({
  description: "UTC, in the seed's form",
  examples: ['2021-02-04T03:52:09.400+0000'],
});

/** A resource operation's success, over NATS as over HTTP: the seed's `{code, message, data}`. */
export const okWith = <T extends z.ZodType>(data: T) =>
  z.object({ code: z.literal(200), message: z.literal('OK'), data });

/** A page of results, exactly in seed 001's envelope. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    result: z.array(item),
    pageSize: z.number().int(),
    total: z.number().int().meta({ description: 'Results matching the search, on every page.' }),
    page: z.number().int().meta({ description: 'This page, from 0.' }),
    numPages: z.number().int(),
    start: z.number().int().meta({ description: 'Offset of the first result on this page.' }),
    end: z.number().int().meta({ description: 'Offset of the last result on this page (inclusive, as in the seed).' }),
    firstPageUri: z.string(),
    nextPageUri: z.string().nullable().meta({ description: 'null on the last page.' }),
    uri: z.string(),
  });
}
export type Page<T> = Omit<z.infer<ReturnType<typeof pageSchema<z.ZodUnknown>>>, 'result'> & { result: T[] };

/**
 * Builds the envelope. `params` are the query's other parameters (filters, sort); they are
 * repeated in every URI so that following `nextPageUri` keeps the same search.
 */
export function pageOf<T>(
  result: T[],
  total: number,
  query: { page: number; pageSize: number },
  path: string,
  params: Record<string, string | number | boolean | undefined> = {},
): Page<T> {
  const { page, pageSize } = query;
  const numPages = Math.ceil(total / pageSize);
  const start = page * pageSize;
  const uriOf = (p: number) => {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
    search.set('pageSize', String(pageSize));
    search.set('page', String(p));
    return `${path}?${search.toString()}`;
  };
  return {
    result,
    pageSize,
    total,
    page,
    numPages,
    start,
    end: result.length ? start + result.length - 1 : start,
    firstPageUri: uriOf(0),
    nextPageUri: page + 1 < numPages ? uriOf(page + 1) : null,
    uri: uriOf(page),
  };
}
