import { useState } from 'preact/hooks';
import { api } from '../../api/client';
import type { Envelope, LimitData, Page } from '../../api/types';
import { describeError } from '../../ui/errors';
import { Field, Select } from '../../ui/fields';
import { pick } from '../../ui/filters';
import { formatTime } from '../../ui/format';
import { PageTitle } from '../../ui/page-title';
import { Pager } from '../../ui/pager';
import { useResource } from '../../ui/resource';
import { FormMessage, ResourceView } from '../../ui/states';
import { setQuery } from '../../router';
import { useConsole } from '../../session-context';
import { type BucketDraft, BucketEditor, bucketsOf, draftsOf } from './bucket-editor';

const NEW_BUCKET: BucketDraft = { name: '', max: '', interval: '' };

/** Limits (SPEC 3.4, 11): list and search, create, edit the buckets and description, delete. */
export function LimitsPage(props: { query: URLSearchParams }) {
  const params = { ...pick(props.query, ['name', 'page']), subAccounts: 'true', pageSize: '25' };
  const key = JSON.stringify(params);
  const limits = useResource(key, () => api.get<Envelope<Page<LimitData>>>('/2fa/limits/search', params));
  const [message, setMessage] = useState<{ error?: string; success?: string }>({});

  return (
    <>
      <PageTitle>Limits</PageTitle>
      <p class="lede">
        A limit is a named, ordered list of buckets; a send names the limits to check and the key each counts under.
      </p>
      <CreateLimit
        onCreated={(name) => {
          setMessage({ success: `Limit ${name} created.` });
          limits.reload();
        }}
      />
      <section aria-labelledby="limits-list">
        <h2 id="limits-list">Your limits</h2>
        <form
          class="filters"
          role="search"
          aria-label="Search limits"
          key={props.query.toString()}
          onSubmit={(e) => {
            e.preventDefault();
            const name = String(new FormData(e.currentTarget).get('name') ?? '').trim();
            setQuery({ name: name || undefined });
          }}
        >
          <Field label="Name contains" name="name" type="search" defaultValue={props.query.get('name') ?? ''} />
          <div class="filter-actions">
            <button type="submit">Search</button>
          </div>
        </form>
        <FormMessage {...message} />
        <ResourceView
          resource={limits}
          label="limits"
          isEmpty={(reply) => reply.data.total === 0}
          empty={
            <p>
              No limits yet. Create one above; a send then names it in <code>limits</code>.
            </p>
          }
        >
          {(reply) => (
            <>
              <ul class="cards">
                {reply.data.result.map((limit) => (
                  <LimitCard
                    key={limit.sid}
                    limit={limit}
                    onChanged={(text) => {
                      setMessage({ success: text });
                      limits.reload();
                    }}
                  />
                ))}
              </ul>
              <Pager
                page={reply.data.page}
                numPages={reply.data.numPages}
                onPage={(page) => setQuery({ ...pick(props.query, ['name']), page: page ? String(page) : undefined })}
              />
            </>
          )}
        </ResourceView>
      </section>
    </>
  );
}

function CreateLimit(props: { onCreated: (name: string) => void }) {
  const { session, subAccounts } = useConsole();
  const [buckets, setBuckets] = useState<BucketDraft[]>([{ ...NEW_BUCKET }]);
  const [state, setState] = useState<{ busy: boolean; error?: string }>({ busy: false });
  const onSubmit = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const name = String(data.get('name') ?? '').trim();
    const description = String(data.get('description') ?? '').trim();
    const accountSid = String(data.get('accountSid') ?? '') || undefined;
    setState({ busy: true });
    try {
      await api.post('/2fa/limits', {
        name,
        buckets: bucketsOf(buckets),
        ...(description ? { description } : {}),
        ...(accountSid ? { accountSid } : {}),
      });
      form.reset();
      setBuckets([{ ...NEW_BUCKET }]);
      setState({ busy: false });
      props.onCreated(name);
    } catch (error) {
      setState({ busy: false, error: describeError(error) });
    }
  };
  return (
    <section aria-labelledby="limit-create">
      <h2 id="limit-create">Create a limit</h2>
      <form class="stacked" onSubmit={onSubmit}>
        <Field label="Limit name" name="name" required maxLength={64} />
        <Field label="Description" name="description" maxLength={1024} />
        {session.parentAccountSid === null && subAccounts.length > 0 && (
          <Select
            label="For account"
            name="accountSid"
            any={`This account (${session.accountSid})`}
            options={subAccounts.map((a) => ({
              value: a.accountSid,
              label: `${a.friendlyName ?? a.email} (${a.accountSid})`,
            }))}
          />
        )}
        <BucketEditor buckets={buckets} onChange={setBuckets} />
        <FormMessage error={state.error} />
        <button type="submit" disabled={state.busy}>
          Create limit
        </button>
      </form>
    </section>
  );
}

function LimitCard(props: { limit: LimitData; onChanged: (message: string) => void }) {
  const { limit } = props;
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [buckets, setBuckets] = useState<BucketDraft[]>(() => draftsOf(limit.buckets));
  const [error, setError] = useState<string>();
  const headingId = `limit-${limit.sid}`;

  const save = async (event: Event) => {
    event.preventDefault();
    const description = String(new FormData(event.currentTarget as HTMLFormElement).get('description') ?? '');
    try {
      await api.put(`/2fa/limits/${limit.sid}`, { buckets: bucketsOf(buckets), description });
      setEditing(false);
      setError(undefined);
      props.onChanged(`Limit ${limit.name} saved.`);
    } catch (e) {
      setError(describeError(e));
    }
  };
  const remove = async () => {
    try {
      await api.delete(`/2fa/limits/${limit.sid}`);
      props.onChanged(`Limit ${limit.name} deleted.`);
    } catch (e) {
      setError(describeError(e));
    }
  };

  return (
    <li class="card" aria-labelledby={headingId}>
      <h3 id={headingId}>{limit.name}</h3>
      <p class="meta">
        <span class="mono">{limit.sid}</span> · account <span class="mono">{limit.targetAccountSid}</span> · updated{' '}
        {formatTime(limit.dateUpdated)}
      </p>
      {limit.description && <p>{limit.description}</p>}
      {editing ? (
        <form class="stacked" onSubmit={save} aria-label={`Edit ${limit.name}`}>
          <Field label="Description" name="description" defaultValue={limit.description ?? ''} maxLength={1024} />
          <BucketEditor buckets={buckets} onChange={setBuckets} />
          <FormMessage error={error} />
          <div class="row">
            <button type="submit">Save {limit.name}</button>
            <button
              type="button"
              class="secondary"
              onClick={() => {
                setEditing(false);
                setBuckets(draftsOf(limit.buckets));
                setError(undefined);
              }}
            >
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <>
          <table class="compact">
            <caption>Buckets of {limit.name}</caption>
            <thead>
              <tr>
                <th scope="col">Bucket</th>
                <th scope="col">Max sends</th>
                <th scope="col">Interval (s)</th>
              </tr>
            </thead>
            <tbody>
              {draftsOf(limit.buckets).map((b) => (
                <tr key={b.name}>
                  <th scope="row">{b.name}</th>
                  <td class="num">{b.max}</td>
                  <td class="num">{b.interval}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <FormMessage error={error} />
          <div class="row">
            <button type="button" onClick={() => setEditing(true)}>
              Edit {limit.name}
            </button>
            {confirming ? (
              <>
                <button type="button" class="danger" onClick={remove}>
                  Confirm delete {limit.name}
                </button>
                <button type="button" class="secondary" onClick={() => setConfirming(false)}>
                  Keep it
                </button>
              </>
            ) : (
              <button type="button" class="secondary" onClick={() => setConfirming(true)}>
                Delete {limit.name}
              </button>
            )}
          </div>
        </>
      )}
    </li>
  );
}
