import { api } from '../../api/client';
import type { Envelope, SdrAttemptData, SdrData } from '../../api/types';
import { formatTime } from '../../ui/format';
import { PageTitle } from '../../ui/page-title';
import { useResource } from '../../ui/resource';
import { ResourceView } from '../../ui/states';
import { Link } from '../../router';

interface TimelineEntry {
  time: string;
  what: string;
}

/** Everything that happened to a request, in time order (Somleng's verification page). */
function timeline(record: SdrData): TimelineEntry[] {
  const entries: TimelineEntry[] = [{ time: record.dateCreated, what: 'Created' }];
  record.attempts.forEach((a, i) => {
    const name = `Dispatch ${i + 1} (${a.channel})`;
    if (a.dateDispatched) entries.push({ time: a.dateDispatched, what: `${name} queued` });
    for (const [status, time] of Object.entries(a.statusTimes)) {
      if (time) entries.push({ time, what: `${name} ${status}` });
    }
  });
  const ends: [string | null, string][] = [
    [record.dateVerified, 'Verified'],
    [record.dateCanceled, 'Canceled'],
    [record.dateExpired, 'Expired'],
    [record.dateFailed, 'Failed'],
  ];
  for (const [time, what] of ends) if (time) entries.push({ time, what });
  return entries.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

function errorText(a: SdrAttemptData): string {
  return a.error ? `${a.error.code}: ${a.error.message}` : '—';
}

/**
 * One record (SPEC 3.5, 11): the request, every dispatch attempt (channel, provider, provider
 * message id, status, error, times), the verify attempts, the price, and fraud decisions when
 * the server records them. Never the code: the API does not have it.
 */
export function RecordPage(props: { requestId: string }) {
  const record = useResource(props.requestId, () =>
    api.get<Envelope<SdrData>>(`/2fa/sdr/search/${encodeURIComponent(props.requestId)}`),
  );
  return (
    <>
      <PageTitle text={`Record ${props.requestId}`}>
        Record <span class="mono">{props.requestId}</span>
      </PageTitle>
      <p>
        <Link href="/records">Back to records</Link>
      </p>
      <ResourceView resource={record} label="the record">
        {({ data: r }) => {
          const extra = r as unknown as Record<string, unknown>;
          const fraud = extra.fraudDecision ?? extra.fraud;
          return (
            <>
              <section aria-labelledby="record-summary">
                <h2 id="record-summary">Summary</h2>
                <dl class="summary">
                  {(
                    [
                      ['Status', r.status + (r.statusReason ? ` (${r.statusReason})` : '')],
                      ['Delivery status', r.deliveryStatus ?? '—'],
                      ['Service', r.service],
                      ['Channel', r.channels.length ? r.channels.join(' → ') : r.channel],
                      ['From', r.from ?? '—'],
                      ['To', r.to],
                      ['Country code', r.countryCode ?? '—'],
                      ['Account', r.accountSid],
                      ['Parent account', r.parentAccountSid ?? '—'],
                      ['Created', formatTime(r.dateCreated)],
                      ['Expires', formatTime(r.dateExpires)],
                      ['Verified', formatTime(r.dateVerified)],
                      ['Canceled', formatTime(r.dateCanceled)],
                      ['Price', `${r.price} ${r.priceUnit}`],
                      ['Verify attempts', `${r.verifyAttempts} (${r.wrongAttempts} wrong)`],
                      ...(fraud !== undefined && fraud !== null
                        ? [['Fraud decision', typeof fraud === 'string' ? fraud : JSON.stringify(fraud)]]
                        : []),
                    ] as [string, string][]
                  ).map(([term, value]) => (
                    <div key={term}>
                      <dt>{term}</dt>
                      <dd>{value}</dd>
                    </div>
                  ))}
                </dl>
              </section>
              <section aria-labelledby="record-attempts">
                <h2 id="record-attempts">Dispatch attempts</h2>
                {r.attempts.length === 0 ? (
                  <p class="state state-empty">No dispatch yet.</p>
                ) : (
                  <div class="table-scroll" tabIndex={0} role="region" aria-label="Dispatch attempts, table">
                    <table>
                      <caption>Dispatch attempts, in order</caption>
                      <thead>
                        <tr>
                          <th scope="col">Dispatch</th>
                          <th scope="col">Channel</th>
                          <th scope="col">To</th>
                          <th scope="col">Provider</th>
                          <th scope="col">Provider message id</th>
                          <th scope="col">Status</th>
                          <th scope="col">Error</th>
                          <th scope="col">Tries</th>
                          <th scope="col">Dispatched</th>
                          <th scope="col">Status times</th>
                          <th scope="col">Price</th>
                        </tr>
                      </thead>
                      <tbody>
                        {r.attempts.map((a) => (
                          <tr key={a.dispatchId}>
                            <th scope="row" class="mono">
                              {a.dispatchId}
                            </th>
                            <td>{a.channel}</td>
                            <td class="mono">{a.to}</td>
                            <td>{a.provider ?? '—'}</td>
                            <td class="mono">{a.providerMessageId ?? '—'}</td>
                            <td>{a.status ?? '—'}</td>
                            <td>{errorText(a)}</td>
                            <td class="num">{a.attempt}</td>
                            <td>{formatTime(a.dateDispatched)}</td>
                            <td>
                              {Object.entries(a.statusTimes).map(([status, time]) => (
                                <div key={status}>
                                  {status}: {formatTime(time)}
                                </div>
                              ))}
                            </td>
                            <td class="num">
                              {a.price} {r.priceUnit}
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
              </section>
              <section aria-labelledby="record-verify">
                <h2 id="record-verify">Verify attempts</h2>
                <p>
                  {r.verifyAttempts === 0
                    ? 'No code was entered.'
                    : `${r.verifyAttempts} ${r.verifyAttempts === 1 ? 'code' : 'codes'} entered, ${r.wrongAttempts} wrong${r.dateVerified ? `; verified at ${formatTime(r.dateVerified)}` : ''}.`}
                </p>
              </section>
              <section aria-labelledby="record-timeline">
                <h2 id="record-timeline">Timeline</h2>
                <ol class="timeline">
                  {timeline(r).map((e, i) => (
                    <li key={i}>
                      <time dateTime={e.time}>{formatTime(e.time)}</time> {e.what}
                    </li>
                  ))}
                </ol>
              </section>
            </>
          );
        }}
      </ResourceView>
    </>
  );
}
