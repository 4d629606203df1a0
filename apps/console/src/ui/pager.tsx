import type { ComponentChildren } from 'preact';

/** Previous and next page of a search (pages from 0, as the API counts them). */
export function Pager(props: {
  page: number;
  numPages: number;
  onPage: (page: number) => void;
  children?: ComponentChildren;
}) {
  const last = Math.max(props.numPages - 1, 0);
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled={props.page <= 0} onClick={() => props.onPage(props.page - 1)}>
        Previous page
      </button>
      <span>
        Page {props.page + 1} of {last + 1}
      </span>
      <button type="button" disabled={props.page >= last} onClick={() => props.onPage(props.page + 1)}>
        Next page
      </button>
      {props.children}
    </nav>
  );
}
