import type { ComponentChildren } from 'preact';
import type { Resource } from './resource';

/**
 * The designed states of every query: loading, empty, error and "service unavailable,
 * retrying". `children` renders the data; `isEmpty` decides when the empty state shows instead.
 */
export function ResourceView<T>(props: {
  resource: Resource<T>;
  label: string;
  isEmpty?: (data: T) => boolean;
  empty?: ComponentChildren;
  children: (data: T) => ComponentChildren;
}) {
  const { resource } = props;
  switch (resource.state) {
    case 'loading':
      return (
        <p class="state state-loading" role="status" aria-live="polite">
          Loading {props.label}…
        </p>
      );
    case 'unavailable':
      return (
        <p class="state state-unavailable" role="status" aria-live="polite">
          Service unavailable, retrying in {resource.retryInSeconds} s…
        </p>
      );
    case 'error':
      return (
        <div class="state state-error" role="alert">
          <p>
            Could not load {props.label}: {resource.error.message}
            {resource.error.field ? ` (${resource.error.field})` : ''}
          </p>
          <button type="button" onClick={resource.reload}>
            Try again
          </button>
        </div>
      );
    case 'ready':
      if (props.isEmpty?.(resource.data)) {
        return <div class="state state-empty">{props.empty ?? <p>Nothing to show.</p>}</div>;
      }
      return <>{props.children(resource.data)}</>;
  }
}

/** What a form's last submission said, announced to screen readers. */
export function FormMessage(props: { error?: string; success?: string }) {
  if (props.error)
    return (
      <p class="form-error" role="alert">
        {props.error}
      </p>
    );
  if (props.success)
    return (
      <p class="form-success" role="status">
        {props.success}
      </p>
    );
  return null;
}
