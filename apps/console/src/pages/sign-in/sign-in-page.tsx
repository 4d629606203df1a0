import { useState } from 'preact/hooks';
import { api, ApiError } from '../../api/client';
import type { Envelope, SessionData } from '../../api/types';
import { describeError } from '../../ui/errors';
import { Field } from '../../ui/fields';
import { PageTitle } from '../../ui/page-title';
import { FormMessage } from '../../ui/states';

/**
 * Sign-in with an account SID and auth token (SPEC 11). The gateway answers with the session
 * cookie (HttpOnly: this page never sees it) and the session's CSRF token.
 */
export function SignInPage(props: { notice?: string; onSignedIn: (session: SessionData) => void }) {
  const [state, setState] = useState<{ busy: boolean; error?: string }>({ busy: false });
  const onSubmit = async (event: Event) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget as HTMLFormElement);
    setState({ busy: true });
    try {
      const reply = await api.post<Envelope<SessionData>>('/2fa/session', {
        accountSid: String(data.get('accountSid') ?? '').trim(),
        authToken: String(data.get('authToken') ?? ''),
      });
      props.onSignedIn(reply.data);
    } catch (error) {
      const text =
        error instanceof ApiError && error.status === 401
          ? 'That account SID and auth token do not match.'
          : error instanceof ApiError && error.code === 486
            ? `Too many failed sign-ins. Try again in ${Math.ceil((error.retryAfter ?? 60) / 60)} min.`
            : describeError(error);
      setState({ busy: false, error: text });
    }
  };
  return (
    <main id="main" class="sign-in">
      <PageTitle>Sign in to Smart 2FA</PageTitle>
      {props.notice && (
        <p class="notice" role="status">
          {props.notice}
        </p>
      )}
      <form class="stacked" onSubmit={onSubmit}>
        <Field
          label="Account SID"
          name="accountSid"
          required
          autoComplete="username"
          spellcheck={false}
          placeholder="AC…"
          pattern="\s*AC[0-9a-fA-F]{32}\s*"
          title="AC followed by 32 hexadecimal digits"
        />
        <Field label="Auth token" name="authToken" type="password" required autoComplete="current-password" />
        <FormMessage error={state.error} />
        <button type="submit" disabled={state.busy}>
          Sign in
        </button>
      </form>
      <p class="hint">
        New here? <code>npm run accounts -- create --email you@example.com</code> prints an account SID and token.
      </p>
    </main>
  );
}
