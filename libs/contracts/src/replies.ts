import type { Bucket, LimitData, LimitPageReply, LimitReply, SearchLimitsQuery } from './limiter.commands';
import { DEFAULT_LIMIT_SORT } from './limiter.commands';
import { type PageData, pageOf } from './paging';
import { DEFAULT_SDR_SORT, type SdrData, type SdrPageReply, type SdrReply, type SearchSdrQuery } from './sdr.commands';
import { formatTimestamp } from './time';

/**
 * The replies of `limiter.v1.*` and `sdr.v1.*` in the seed's shape (seed 001: the
 * `{code, message, data}` envelope, the page envelope, page and resource URIs). The services
 * answer with plain data; their NATS command handlers build the reply here, and the gateway
 * answers HTTP with that same reply, so both transports keep one shape. The URIs name the
 * HTTP routes: a route that moves changes these two paths, and no service.
 */

/** The `{code: 200, message: 'OK', data}` envelope of a reply that carries one datum. */
export function dataReply<T>(data: T): { code: 200; message: 'OK'; data: T } {
  return { code: 200, message: 'OK', data };
}

/** The HTTP route of the limits search; page URIs and every limit's `uri` point there. */
export const LIMITS_SEARCH_PATH = '/2fa/limits/search';
/** The HTTP route of the records search; page URIs and every record's `uri` point there. */
export const SDR_SEARCH_PATH = '/2fa/sdr/search';

/** A limit definition as the limiter keeps it. */
export interface LimitRecord {
  sid: string;
  /** The account the limit belongs to. */
  accountSid: string;
  accountEmail: string | null;
  /** The account that created it (the parent, for a sub-account's limit). */
  createdBy: string;
  createdByEmail: string | null;
  name: string;
  description: string | null;
  buckets: Bucket[];
  createdAt: Date;
  updatedAt: Date;
}

/** The seed's shape: buckets as a JSON string with numbers as strings. */
export function limitData(row: LimitRecord): LimitData {
  return {
    sid: row.sid,
    name: row.name,
    buckets: JSON.stringify(
      row.buckets.map((b) => ({ name: b.name, max: String(b.max), interval: String(b.interval) })),
    ),
    description: row.description,
    accountSid: row.createdBy,
    accountEmail: row.createdByEmail,
    targetAccountSid: row.accountSid,
    targetAccountEmail: row.accountEmail,
    uri: `${LIMITS_SEARCH_PATH}/${row.sid}`,
    dateCreated: formatTimestamp(row.createdAt),
    dateUpdated: formatTimestamp(row.updatedAt),
  };
}

export function limitReply(row: LimitRecord): LimitReply {
  return dataReply(limitData(row));
}

/** `SortBy` as the URIs repeat it: the default order goes without saying, as in the seed's URIs. */
function sortParam(sort: { field: string; direction: string }, fallback: { field: string; direction: string }) {
  return sort.field === fallback.field && sort.direction === fallback.direction
    ? undefined
    : `${sort.field}:${sort.direction}`;
}

export function limitPageReply(page: PageData<LimitRecord>, query: SearchLimitsQuery): LimitPageReply {
  const params = {
    name: query.name,
    startTime: query.startTime,
    endTime: query.endTime,
    SortBy: sortParam(query.SortBy, DEFAULT_LIMIT_SORT),
  };
  return {
    code: 200,
    message: 'OK',
    data: pageOf(page.items.map(limitData), page.total, page, LIMITS_SEARCH_PATH, params),
  };
}

/** A record as the SDR service answers it: everything but its URI. */
export type SdrRecordData = Omit<SdrData, 'uri'>;

function sdrData(record: SdrRecordData): SdrData {
  return { ...record, uri: `${SDR_SEARCH_PATH}/${record.requestId}` };
}

export function sdrReply(record: SdrRecordData): SdrReply {
  return dataReply(sdrData(record));
}

export function sdrPageReply(page: PageData<SdrRecordData>, query: SearchSdrQuery): SdrPageReply {
  const params = {
    service: query.service,
    to: query.to,
    channel: query.channel,
    status: query.status,
    deliveryStatus: query.deliveryStatus,
    countryCode: query.countryCode,
    startTime: query.startTime,
    endTime: query.endTime,
    SortBy: sortParam(query.SortBy, DEFAULT_SDR_SORT),
  };
  return {
    code: 200,
    message: 'OK',
    data: pageOf(page.items.map(sdrData), page.total, page, SDR_SEARCH_PATH, params),
  };
}
