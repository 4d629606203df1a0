import type { InputHTMLAttributes, SelectHTMLAttributes } from 'preact';
import { useId } from 'preact/hooks';

/** A labelled text, number, date or search input. */
export function Field(props: { label: string; hint?: string } & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  const { label, hint, ...input } = props;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input {...input} id={id} aria-describedby={hint ? `${id}-hint` : undefined} />
      {hint && (
        <small id={`${id}-hint`} class="hint">
          {hint}
        </small>
      )}
    </div>
  );
}

export interface Option {
  value: string;
  label: string;
}

/**
 * A labelled select; `any` adds a first option that sets nothing (no filter). `defaultValue`
 * marks its option `selected` (uncontrolled: a re-render does not undo what the person chose).
 */
export function Select(
  props: { label: string; options: readonly Option[]; any?: string } & SelectHTMLAttributes<HTMLSelectElement>,
) {
  const id = useId();
  const { label, options, any, defaultValue, ...select } = props;
  const chosen = defaultValue === undefined ? undefined : String(defaultValue);
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select {...select} id={id}>
        {any !== undefined && (
          <option value="" selected={chosen !== undefined && chosen === ''}>
            {any}
          </option>
        )}
        {options.map((o) => (
          <option key={o.value} value={o.value} selected={chosen !== undefined && o.value === chosen}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

export const optionsOf = (values: readonly string[]): Option[] => values.map((value) => ({ value, label: value }));

/** The value of the named control of a submitted form, trimmed; undefined when empty. */
export function formValue(form: HTMLFormElement, name: string): string | undefined {
  const element = form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null;
  const value = element?.value.trim();
  return value ? value : undefined;
}
