import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, setCsrfToken, whenSignedOut } from './api/client';
import type { AccountData, Envelope, SessionData } from './api/types';
import { FraudPage } from './pages/fraud/fraud-page';
import { LimitsPage } from './pages/limits/limits-page';
import { OutboxPage } from './pages/outbox/outbox-page';
import { RecordPage } from './pages/records/record-page';
import { RecordsPage } from './pages/records/records-page';
import { SignInPage } from './pages/sign-in/sign-in-page';
import { SubAccountsPage } from './pages/sub-accounts/sub-accounts-page';
import { UsagePage } from './pages/usage/usage-page';
import { Link, navigate, useLocation } from './router';
import { Console, type ConsoleContext } from './session-context';
import { PageTitle } from './ui/page-title';

type Boot =
  | { state: 'checking' }
  | { state: 'unavailable' }
  | { state: 'signed-out'; notice?: string }
  | { state: 'signed-in'; session: SessionData };

/** Whether the server has the fraud guard: its settings route answers (404 without it). */
async function hasFraudGuard(): Promise<boolean> {
  try {
    await api.get('/2fa/fraud/settings');
    return true;
  } catch (error) {
    // An outage says nothing about the route: show the page, which then shows the outage.
    return error instanceof ApiError && error.unavailable;
  }
}

export function App() {
  const [boot, setBoot] = useState<Boot>({ state: 'checking' });
  const [subAccounts, setSubAccounts] = useState<AccountData[]>([]);
  const [subTick, setSubTick] = useState(0);
  const [fraudGuard, setFraudGuard] = useState<boolean | undefined>(undefined);

  const signedIn = (session: SessionData) => {
    setCsrfToken(session.csrfToken);
    setBoot({ state: 'signed-in', session });
  };

  useEffect(() => {
    whenSignedOut(() => {
      setCsrfToken(undefined);
      setBoot({ state: 'signed-out', notice: 'Your session ended. Sign in again.' });
    });
    let timer: number | undefined;
    const check = (attempt: number) =>
      api.get<Envelope<SessionData>>('/2fa/session').then(
        (reply) => signedIn(reply.data),
        (error: unknown) => {
          if (error instanceof ApiError && error.unavailable) {
            setBoot({ state: 'unavailable' });
            timer = window.setTimeout(() => check(attempt + 1), Math.min(1000 * (attempt + 1), 10_000));
          } else setBoot({ state: 'signed-out' });
        },
      );
    void check(0);
    return () => window.clearTimeout(timer);
  }, []);

  const session = boot.state === 'signed-in' ? boot.session : undefined;
  useEffect(() => {
    if (!session) return;
    if (session.parentAccountSid === null)
      api.get<Envelope<AccountData[]>>('/2fa/accounts').then(
        (reply) => setSubAccounts(reply.data),
        () => setSubAccounts([]),
      );
    void hasFraudGuard().then(setFraudGuard);
  }, [session?.accountSid, subTick]);

  if (boot.state === 'checking')
    return (
      <main id="main">
        <p class="state state-loading" role="status">
          Loading the console…
        </p>
      </main>
    );
  if (boot.state === 'unavailable')
    return (
      <main id="main">
        <p class="state state-unavailable" role="status" aria-live="polite">
          Service unavailable, retrying…
        </p>
      </main>
    );
  if (boot.state === 'signed-out') return <SignInPage notice={boot.notice} onSignedIn={signedIn} />;

  const context: ConsoleContext = {
    session: boot.session,
    subAccounts,
    reloadSubAccounts: () => setSubTick((t) => t + 1),
    fraudGuard,
  };
  const signOut = async () => {
    try {
      await api.delete('/2fa/session');
    } finally {
      setCsrfToken(undefined);
      setSubAccounts([]);
      setBoot({ state: 'signed-out', notice: 'You are signed out.' });
      navigate('/', { replace: true });
    }
  };
  return (
    <Console.Provider value={context}>
      <Shell onSignOut={signOut} />
    </Console.Provider>
  );
}

const NAV = [
  { href: '/usage', label: 'Usage' },
  { href: '/records', label: 'Records' },
  { href: '/limits', label: 'Limits' },
  { href: '/sub-accounts', label: 'Sub-accounts' },
] as const;

function Shell(props: { onSignOut: () => void }) {
  const { path, query } = useLocation();
  return (
    <Console.Consumer>
      {(context) => {
        const { session, fraudGuard } = context as ConsoleContext;
        const links = [
          ...NAV,
          ...(fraudGuard ? [{ href: '/fraud', label: 'Fraud guard' }] : []),
          ...(session.features.devOutbox ? [{ href: '/outbox', label: 'Development outbox' }] : []),
        ];
        const current = (href: string) => path === href || path.startsWith(`${href}/`);
        return (
          <>
            <a class="skip" href="#main">
              Skip to content
            </a>
            <header class="top">
              <span class="brand">Smart 2FA</span>
              <nav aria-label="Main">
                <ul>
                  {links.map((l) => (
                    <li key={l.href}>
                      <Link href={l.href} aria-current={current(l.href) ? 'page' : undefined}>
                        {l.label}
                      </Link>
                    </li>
                  ))}
                </ul>
              </nav>
              <div class="account">
                <span class="mono" title={session.email}>
                  {session.accountSid}
                </span>
                <button type="button" class="secondary" onClick={props.onSignOut}>
                  Sign out
                </button>
              </div>
            </header>
            <main id="main">{route(path, query, fraudGuard, session.features.devOutbox)}</main>
          </>
        );
      }}
    </Console.Consumer>
  );
}

function route(path: string, query: URLSearchParams, fraudGuard: boolean | undefined, devOutbox: boolean) {
  if (path === '/' || path === '/usage') return <UsagePage query={query} />;
  if (path === '/records') return <RecordsPage query={query} />;
  const record = /^\/records\/([^/]+)$/.exec(path);
  if (record) return <RecordPage requestId={decodeURIComponent(record[1])} />;
  if (path === '/limits') return <LimitsPage query={query} />;
  if (path === '/sub-accounts') return <SubAccountsPage />;
  if (path === '/fraud' && fraudGuard) return <FraudPage />;
  if (path === '/fraud' && fraudGuard === undefined)
    return (
      <p class="state state-loading" role="status">
        Loading…
      </p>
    );
  if (path === '/outbox' && devOutbox) return <OutboxPage query={query} />;
  return (
    <>
      <PageTitle>Page not found</PageTitle>
      <p>
        There is no console page at this address. <Link href="/usage">Go to Usage</Link>.
      </p>
    </>
  );
}
