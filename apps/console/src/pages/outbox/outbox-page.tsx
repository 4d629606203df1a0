import { api } from '../../api/client';
import type { DevOutboxEntry, Envelope } from '../../api/types';
import { Field } from '../../ui/fields';
import { formatTime } from '../../ui/format';
import { PageTitle } from '../../ui/page-title';
import { useResource } from '../../ui/resource';
import { ResourceView } from '../../ui/states';
import { setQuery } from '../../router';

/**
 * The development outbox (only with DEV_OUTBOX=true): the full messages the `log` providers
 * kept for one destination, codes included, for a developer trying the service.
 */
export function OutboxPage(props: { query: URLSearchParams }) {
  const to = props.query.get('to') ?? '';
  const messages = useResource(`outbox-${to}`, () =>
    to ? api.get<Envelope<DevOutboxEntry[]>>('/2fa/dev/outbox', { to }) : Promise.resolve(undefined),
  );
  return (
    <>
      <PageTitle>Development outbox</PageTitle>
      <p class="lede">Messages the log providers kept (DEV_OUTBOX=true). Never enable it in production.</p>
      <form
        class="filters"
        role="search"
        aria-label="Find messages"
        key={to}
        onSubmit={(e) => {
          e.preventDefault();
          setQuery({ to: String(new FormData(e.currentTarget).get('to') ?? '').trim() || undefined });
        }}
      >
        <Field label="Destination" name="to" defaultValue={to} required hint="A number in E.164 form or an email" />
        <div class="filter-actions">
          <button type="submit">Show messages</button>
        </div>
      </form>
      <ResourceView
        resource={messages}
        label="messages"
        isEmpty={(reply) => !reply || reply.data.length === 0}
        empty={<p>{to ? `No messages to ${to}.` : 'Enter a destination to see what was sent to it.'}</p>}
      >
        {(reply) => (
          <ul class="cards">
            {reply?.data.map((m) => (
              <li class="card" key={`${m.requestID}-${m.dateCreated}`}>
                <p class="meta">
                  {formatTime(m.dateCreated)} · {m.channel} · from {m.from} to {m.to} ·{' '}
                  <span class="mono">{m.requestID}</span>
                </p>
                {m.subject && <p>Subject: {m.subject}</p>}
                <pre>{m.body}</pre>
              </li>
            ))}
          </ul>
        )}
      </ResourceView>
    </>
  );
}
