import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

/** Whether a page was shown before: the first one of a load keeps the browser's own focus. */
let shownBefore = false;

/**
 * The page's heading; it names the document. When the console moves to another page it takes
 * the focus, so that a screen reader or keyboard user starts reading there, as after a load;
 * the first page of a load leaves the focus where the browser puts it (skip link first).
 */
export function PageTitle(props: { children: ComponentChildren; text?: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  const text = props.text ?? (typeof props.children === 'string' ? props.children : '');
  useEffect(() => {
    document.title = text ? `${text} · Smart 2FA console` : 'Smart 2FA console';
    if (shownBefore) ref.current?.focus({ preventScroll: false });
    shownBefore = true;
  }, [text]);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {props.children}
    </h1>
  );
}
