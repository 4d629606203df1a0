import { api } from '../../api/client';
import type { UsagePeriod, UsageReply } from '../../api/types';
import { type Option, Select } from '../../ui/fields';
import { pick, SDR_FILTERS, SdrFilterForm } from '../../ui/filters';
import { downloadCsv, scalarColumns, toCsv } from '../../ui/csv';
import { formatCost, formatPercent } from '../../ui/format';
import { useResource } from '../../ui/resource';
import { ResourceView } from '../../ui/states';
import { PageTitle } from '../../ui/page-title';
import { UsageChart } from './usage-chart';

const GRANULARITIES: Option[] = [
  { value: 'day', label: 'Day' },
  { value: 'month', label: 'Month' },
  { value: 'year', label: 'Year' },
];

const PERIOD_NAME: Record<string, string> = { day: 'day', month: 'month', year: 'year' };

/** The counts of a period, as columns of the table (and of the CSV, which has every column the API gives). */
const COLUMNS: { key: keyof UsagePeriod; label: string }[] = [
  { key: 'requests', label: 'Requests' },
  { key: 'sent', label: 'Sent' },
  { key: 'delivered', label: 'Delivered' },
  { key: 'failed', label: 'Failed' },
  { key: 'verified', label: 'Verified' },
  { key: 'canceled', label: 'Canceled' },
  { key: 'expired', label: 'Expired' },
  { key: 'blocked', label: 'Blocked' },
];

/** `costAvoided` → "Cost avoided (USD)": a column's name as a heading, money with its unit. */
function columnLabel(column: string, priceUnit: string): string {
  const words = column.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  const label = words[0].toUpperCase() + words.slice(1);
  return /cost/i.test(column) ? `${label} (${priceUnit})` : label;
}

/**
 * Usage (SPEC 11): `/2fa/usage` for the filters in the URL, as a chart and a table of the same
 * numbers, per day, month or year; conversion rate and cost as the server computed them.
 */
export function UsagePage(props: { query: URLSearchParams }) {
  const granularity = props.query.get('granularity') ?? 'day';
  const params = { ...pick(props.query, SDR_FILTERS), granularity };
  const key = JSON.stringify(params);
  const usage = useResource(key, () => api.get<UsageReply>('/2fa/usage', params));
  const period = PERIOD_NAME[granularity] ?? granularity;
  // A column the server adds later shows up without a console change.
  const extraColumns = (periods: UsagePeriod[]) =>
    scalarColumns(periods as unknown as Record<string, unknown>[]).filter(
      (c) =>
        !COLUMNS.some((k) => k.key === c) &&
        !['period', 'startTime', 'endTime', 'conversionRate', 'cost', 'costAvoided'].includes(c),
    );

  return (
    <>
      <PageTitle>Usage</PageTitle>
      <SdrFilterForm query={props.query} timeInput="date" keep={{ granularity }}>
        <Select
          label="Period"
          name="granularity"
          options={GRANULARITIES}
          defaultValue={granularity}
          onChange={(e) => {
            const form = (e.currentTarget as HTMLSelectElement).form;
            form?.requestSubmit();
          }}
        />
      </SdrFilterForm>
      <ResourceView
        resource={usage}
        label="usage"
        isEmpty={(reply) => reply.data.periods.length === 0}
        empty={<p>No usage for these filters. Sends show up here once they are made.</p>}
      >
        {(reply) => {
          const { periods, total, priceUnit } = reply.data;
          const extra = extraColumns(periods);
          const exportCsv = () => {
            const rows = periods as unknown as Record<string, unknown>[];
            downloadCsv(`usage-${granularity}.csv`, toCsv(rows, scalarColumns(rows)));
          };
          return (
            <section aria-labelledby="usage-results">
              <h2 id="usage-results">Usage per {period}</h2>
              <dl class="totals">
                <div>
                  <dt>Sent</dt>
                  <dd>{total.sent}</dd>
                </div>
                <div>
                  <dt>Verified</dt>
                  <dd>{total.verified}</dd>
                </div>
                <div>
                  <dt>Conversion rate</dt>
                  <dd>{formatPercent(total.conversionRate)}</dd>
                </div>
                <div>
                  <dt>Cost</dt>
                  <dd>{formatCost(total.cost, priceUnit)}</dd>
                </div>
                <div>
                  <dt>Blocked by the fraud guard</dt>
                  <dd>{total.blocked}</dd>
                </div>
                <div>
                  <dt>Cost avoided</dt>
                  <dd>{formatCost(total.costAvoided, priceUnit)}</dd>
                </div>
              </dl>
              <UsageChart
                periods={periods}
                name={`Chart of sent, delivered, verified and failed codes per ${period}; the table below has the same numbers`}
              />
              <div class="table-actions">
                <button type="button" onClick={exportCsv}>
                  Download CSV
                </button>
              </div>
              <div class="table-scroll" tabIndex={0} role="region" aria-label={`Usage per ${period}, table`}>
                <table>
                  <caption>Usage per {period}</caption>
                  <thead>
                    <tr>
                      <th scope="col">Period</th>
                      {COLUMNS.map((c) => (
                        <th scope="col" key={c.key}>
                          {c.label}
                        </th>
                      ))}
                      {extra.map((c) => (
                        <th scope="col" key={c}>
                          {columnLabel(c, priceUnit)}
                        </th>
                      ))}
                      <th scope="col">Conversion rate</th>
                      <th scope="col">Cost ({priceUnit})</th>
                      <th scope="col">Cost avoided ({priceUnit})</th>
                    </tr>
                  </thead>
                  <tbody>
                    {periods.map((p) => (
                      <tr key={p.period}>
                        <th scope="row">{p.period}</th>
                        {COLUMNS.map((c) => (
                          <td key={c.key} class="num">
                            {p[c.key]}
                          </td>
                        ))}
                        {extra.map((c) => (
                          <td key={c} class="num">
                            {String((p as unknown as Record<string, unknown>)[c] ?? '')}
                          </td>
                        ))}
                        <td class="num">{formatPercent(p.conversionRate)}</td>
                        <td class="num">{p.cost}</td>
                        <td class="num">{p.costAvoided}</td>
                      </tr>
                    ))}
                  </tbody>
                  <tfoot>
                    <tr>
                      <th scope="row">Total</th>
                      {COLUMNS.map((c) => (
                        <td key={c.key} class="num">
                          {total[c.key as keyof typeof total]}
                        </td>
                      ))}
                      {extra.map((c) => (
                        <td key={c} class="num">
                          {String((total as unknown as Record<string, unknown>)[c] ?? '')}
                        </td>
                      ))}
                      <td class="num">{formatPercent(total.conversionRate)}</td>
                      <td class="num">{total.cost}</td>
                      <td class="num">{total.costAvoided}</td>
                    </tr>
                  </tfoot>
                </table>
              </div>
            </section>
          );
        }}
      </ResourceView>
    </>
  );
}
