import { api } from '../../api/client';
import type { Envelope, Page, SdrData } from '../../api/types';
import { downloadCsv, scalarColumns, toCsv } from '../../ui/csv';
import { Select } from '../../ui/fields';
import { pick, SDR_FILTERS, SdrFilterForm } from '../../ui/filters';
import { formatTime } from '../../ui/format';
import { PageTitle } from '../../ui/page-title';
import { Pager } from '../../ui/pager';
import { useResource } from '../../ui/resource';
import { ResourceView } from '../../ui/states';
import { Link, setQuery } from '../../router';
import { useState } from 'preact/hooks';
import { describeError } from '../../ui/errors';
import { FormMessage } from '../../ui/states';

const SORTS = [
  { value: 'dateCreated:desc', label: 'Newest first' },
  { value: 'dateCreated:asc', label: 'Oldest first' },
  { value: 'price:desc', label: 'Price, highest first' },
  { value: 'status:asc', label: 'Status' },
  { value: 'deliveryStatus:asc', label: 'Delivery status' },
  { value: 'channel:asc', label: 'Channel' },
  { value: 'countryCode:asc', label: 'Country code' },
];
const PAGE_SIZES = ['10', '25', '50', '100'].map((v) => ({ value: v, label: `${v} per page` }));
/** The API's largest page: an export reads the whole filtered view in pages of this size. */
const EXPORT_PAGE_SIZE = 1000;

/**
 * Records (SPEC 11): `/2fa/sdr/search` with every filter of the API, sorting and paging, all
 * kept in the URL; each row opens the record's page. "Download CSV" exports every record of the
 * filtered view (not only this page), in the API's own rows.
 */
export function RecordsPage(props: { query: URLSearchParams }) {
  const filters = pick(props.query, SDR_FILTERS);
  const paging = pick(props.query, ['page', 'pageSize', 'SortBy']);
  const params = { ...filters, ...paging };
  const key = JSON.stringify(params);
  const records = useResource(key, () => api.get<Envelope<Page<SdrData>>>('/2fa/sdr/search', params));
  const [exporting, setExporting] = useState<{ busy: boolean; error?: string }>({ busy: false });

  const exportCsv = async () => {
    setExporting({ busy: true });
    try {
      const rows: SdrData[] = [];
      for (let page = 0; ; page++) {
        const reply = await api.get<Envelope<Page<SdrData>>>('/2fa/sdr/search', {
          ...filters,
          SortBy: paging.SortBy,
          page,
          pageSize: EXPORT_PAGE_SIZE,
        });
        rows.push(...reply.data.result);
        if (reply.data.nextPageUri === null || reply.data.result.length === 0) break;
      }
      const plain = rows as unknown as Record<string, unknown>[];
      downloadCsv('records.csv', toCsv(plain, scalarColumns(plain)));
      setExporting({ busy: false });
    } catch (error) {
      setExporting({ busy: false, error: describeError(error) });
    }
  };

  return (
    <>
      <PageTitle>Records</PageTitle>
      <SdrFilterForm
        query={props.query}
        timeInput="datetime-local"
        keep={{ SortBy: paging.SortBy, pageSize: paging.pageSize }}
      >
        <Select
          label="Sort by"
          name="SortBy"
          options={SORTS}
          defaultValue={paging.SortBy ?? 'dateCreated:desc'}
          onChange={(e) =>
            setQuery({ ...filters, ...paging, page: undefined, SortBy: (e.currentTarget as HTMLSelectElement).value })
          }
        />
      </SdrFilterForm>
      <ResourceView
        resource={records}
        label="records"
        isEmpty={(reply) => reply.data.total === 0}
        empty={<p>No records match these filters.</p>}
      >
        {(reply) => (
          <section aria-labelledby="records-results">
            <h2 id="records-results">
              {reply.data.total} {reply.data.total === 1 ? 'record' : 'records'}
            </h2>
            <div class="table-actions">
              <button type="button" onClick={exportCsv} disabled={exporting.busy}>
                {exporting.busy ? 'Preparing CSV…' : 'Download CSV'}
              </button>
              <FormMessage error={exporting.error} />
            </div>
            <div class="table-scroll" tabIndex={0} role="region" aria-label="Records, table">
              <table>
                <caption>
                  Records, page {reply.data.page + 1} of {Math.max(reply.data.numPages, 1)}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Created</th>
                    <th scope="col">Request</th>
                    <th scope="col">Service</th>
                    <th scope="col">Channel</th>
                    <th scope="col">To</th>
                    <th scope="col">Country</th>
                    <th scope="col">Status</th>
                    <th scope="col">Delivery</th>
                    <th scope="col">Price</th>
                  </tr>
                </thead>
                <tbody>
                  {reply.data.result.map((r) => (
                    <tr key={r.requestId}>
                      <td>{formatTime(r.dateCreated)}</td>
                      <td>
                        <Link href={`/records/${r.requestId}`} class="mono id" title={r.requestId}>
                          {r.requestId}
                        </Link>
                      </td>
                      <td>{r.service}</td>
                      <td>{r.channels.length > 1 ? r.channels.join(' → ') : r.channel}</td>
                      <td class="mono">{r.to}</td>
                      <td>{r.countryCode ?? '—'}</td>
                      <td>
                        <span class={`badge badge-${r.status}`}>{r.status}</span>
                      </td>
                      <td>{r.deliveryStatus ?? '—'}</td>
                      <td class="num">
                        {r.price} {r.priceUnit}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager
              page={reply.data.page}
              numPages={reply.data.numPages}
              onPage={(page) => setQuery({ ...filters, ...paging, page: page === 0 ? undefined : String(page) })}
            >
              <Select
                label="Page size"
                name="pageSize"
                options={PAGE_SIZES}
                value={String(reply.data.pageSize)}
                onChange={(e) =>
                  setQuery({
                    ...filters,
                    ...paging,
                    page: undefined,
                    pageSize: (e.currentTarget as HTMLSelectElement).value,
                  })
                }
              />
            </Pager>
          </section>
        )}
      </ResourceView>
    </>
  );
}
