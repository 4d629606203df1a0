import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api/client';

type ResourceState<T> =
  | { state: 'loading' }
  | { state: 'ready'; data: T }
  | { state: 'error'; error: ApiError }
  /** 503 or no answer: shown as "service unavailable, retrying", and retried by itself. */
  | { state: 'unavailable'; error: ApiError; retryInSeconds: number };

export type Resource<T> = ResourceState<T> & { reload: () => void };

const MAX_RETRY_SECONDS = 10;

/**
 * One query of a page (Plausible's "one query per widget"): loading, ready, error, or
 * unavailable while the server answers 503, retried after its Retry-After (growing to 10 s at
 * most) until it recovers. `key` names the query: when it changes the data is loaded again, an
 * answer to an older key is dropped, and what was loaded for an older key is never shown under
 * the new one (it is loading from the render that changes the key on).
 */
export function useResource<T>(key: string, load: () => Promise<T>): Resource<T> {
  // Each state remembers the key it is for: a render with a new key, before the effects below
  // run, would otherwise show the old key's data under the new key's title.
  const [resource, setResource] = useState<ResourceState<T> & { key: string }>({ state: 'loading', key });
  const [attempt, setAttempt] = useState(0);
  const current = useRef(key);
  const failures = useRef(0);
  current.current = key;

  const reload = useCallback(() => setAttempt((a) => a + 1), []);

  useEffect(() => {
    failures.current = 0;
    setResource({ state: 'loading', key });
  }, [key]);

  useEffect(() => {
    let timer: number | undefined;
    const forKey = key;
    load().then(
      (data) => {
        if (current.current !== forKey) return;
        failures.current = 0;
        setResource({ state: 'ready', data, key: forKey });
      },
      (error: unknown) => {
        if (current.current !== forKey) return;
        const apiError = error instanceof ApiError ? error : new ApiError(0, 500, String(error));
        if (!apiError.unavailable) return setResource({ state: 'error', error: apiError, key: forKey });
        failures.current += 1;
        const seconds = Math.min(Math.max(apiError.retryAfter ?? 1, failures.current), MAX_RETRY_SECONDS);
        setResource({ state: 'unavailable', error: apiError, retryInSeconds: seconds, key: forKey });
        timer = window.setTimeout(() => setAttempt((a) => a + 1), seconds * 1000);
      },
    );
    return () => window.clearTimeout(timer);
    // `load` is a fresh closure on every render; `key` says when it means something new.
  }, [key, attempt]);

  const { key: loadedFor, ...state } = resource;
  return loadedFor === key ? { ...(state as ResourceState<T>), reload } : { state: 'loading', reload };
}
