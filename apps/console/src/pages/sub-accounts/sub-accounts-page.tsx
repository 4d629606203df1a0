import { useState } from 'preact/hooks';
import { api } from '../../api/client';
import type { AccountData, Envelope } from '../../api/types';
import { describeError } from '../../ui/errors';
import { Field } from '../../ui/fields';
import { formatTime } from '../../ui/format';
import { PageTitle } from '../../ui/page-title';
import { useResource } from '../../ui/resource';
import { FormMessage, ResourceView } from '../../ui/states';
import { useConsole } from '../../session-context';

/** Sub-accounts (SPEC 3, 11): the list, and creation with the new token shown this once. */
export function SubAccountsPage() {
  const { session, reloadSubAccounts } = useConsole();
  const [tick, setTick] = useState(0);
  const accounts = useResource(`sub-accounts-${tick}`, () => api.get<Envelope<AccountData[]>>('/2fa/accounts'));
  const [created, setCreated] = useState<AccountData>();
  const [state, setState] = useState<{ busy: boolean; error?: string }>({ busy: false });

  if (session.parentAccountSid !== null) {
    return (
      <>
        <PageTitle>Sub-accounts</PageTitle>
        <p class="state state-empty">
          This is a sub-account of <span class="mono">{session.parentAccountSid}</span>; sub-accounts are one level
          deep, so it has none of its own.
        </p>
      </>
    );
  }

  const onSubmit = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const email = String(data.get('email') ?? '').trim();
    const friendlyName = String(data.get('friendlyName') ?? '').trim();
    setState({ busy: true });
    try {
      const reply = await api.post<Envelope<AccountData>>('/2fa/accounts', {
        email,
        ...(friendlyName ? { friendlyName } : {}),
      });
      form.reset();
      setCreated(reply.data);
      setState({ busy: false });
      setTick((t) => t + 1);
      reloadSubAccounts();
    } catch (error) {
      setState({ busy: false, error: describeError(error) });
    }
  };

  return (
    <>
      <PageTitle>Sub-accounts</PageTitle>
      <section aria-labelledby="sub-create">
        <h2 id="sub-create">Create a sub-account</h2>
        <form class="stacked" onSubmit={onSubmit}>
          <Field label="Email" name="email" type="email" required maxLength={254} />
          <Field label="Friendly name" name="friendlyName" maxLength={64} />
          <FormMessage error={state.error} />
          <button type="submit" disabled={state.busy}>
            Create sub-account
          </button>
        </form>
        {created?.authToken && (
          <div class="token-once" role="status" aria-labelledby="token-heading">
            <h3 id="token-heading">Sub-account created: copy its token now</h3>
            <p>The token is shown only this once; the server keeps only its hash.</p>
            <dl class="summary">
              <div>
                <dt>Account SID</dt>
                <dd class="mono" data-testid="new-account-sid">
                  {created.accountSid}
                </dd>
              </div>
              <div>
                <dt>Auth token</dt>
                <dd class="mono" data-testid="new-auth-token">
                  {created.authToken}
                </dd>
              </div>
            </dl>
            <button type="button" class="secondary" onClick={() => setCreated(undefined)}>
              I have copied the token
            </button>
          </div>
        )}
      </section>
      <section aria-labelledby="sub-list">
        <h2 id="sub-list">Your sub-accounts</h2>
        <ResourceView
          resource={accounts}
          label="sub-accounts"
          isEmpty={(reply) => reply.data.length === 0}
          empty={<p>No sub-accounts yet.</p>}
        >
          {(reply) => (
            <div class="table-scroll" tabIndex={0} role="region" aria-label="Sub-accounts, table">
              <table>
                <caption>Sub-accounts</caption>
                <thead>
                  <tr>
                    <th scope="col">Account SID</th>
                    <th scope="col">Friendly name</th>
                    <th scope="col">Email</th>
                    <th scope="col">Created</th>
                  </tr>
                </thead>
                <tbody>
                  {reply.data.map((a) => (
                    <tr key={a.accountSid}>
                      <th scope="row" class="mono">
                        {a.accountSid}
                      </th>
                      <td>{a.friendlyName ?? '—'}</td>
                      <td>{a.email}</td>
                      <td>{formatTime(a.dateCreated)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </ResourceView>
      </section>
    </>
  );
}
