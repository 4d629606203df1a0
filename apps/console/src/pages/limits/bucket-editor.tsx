import { useId } from 'preact/hooks';

export interface BucketDraft {
  name: string;
  max: string;
  interval: string;
}

/**
 * The ordered buckets of a limit, as rows of labelled fields. Values go to the API as typed;
 * the limiter validates them (1–10 buckets, unique names, ranges) and names the bad field.
 */
export function BucketEditor(props: { buckets: BucketDraft[]; onChange: (buckets: BucketDraft[]) => void }) {
  const id = useId();
  const update = (i: number, change: Partial<BucketDraft>) =>
    props.onChange(props.buckets.map((b, j) => (j === i ? { ...b, ...change } : b)));
  return (
    <fieldset class="buckets">
      <legend>Buckets, checked in order</legend>
      {props.buckets.map((b, i) => (
        <div class="bucket" key={i}>
          <div class="field">
            <label for={`${id}-${i}-name`}>Bucket {i + 1} name</label>
            <input
              id={`${id}-${i}-name`}
              value={b.name}
              required
              maxLength={64}
              onInput={(e) => update(i, { name: e.currentTarget.value })}
            />
          </div>
          <div class="field">
            <label for={`${id}-${i}-max`}>Bucket {i + 1} max sends</label>
            <input
              id={`${id}-${i}-max`}
              type="number"
              min={1}
              required
              value={b.max}
              onInput={(e) => update(i, { max: e.currentTarget.value })}
            />
          </div>
          <div class="field">
            <label for={`${id}-${i}-interval`}>Bucket {i + 1} interval (seconds)</label>
            <input
              id={`${id}-${i}-interval`}
              type="number"
              min={1}
              required
              value={b.interval}
              onInput={(e) => update(i, { interval: e.currentTarget.value })}
            />
          </div>
          {props.buckets.length > 1 && (
            <button
              type="button"
              class="secondary"
              onClick={() => props.onChange(props.buckets.filter((_, j) => j !== i))}
            >
              Remove bucket {i + 1}
            </button>
          )}
        </div>
      ))}
      <button
        type="button"
        class="secondary"
        onClick={() => props.onChange([...props.buckets, { name: '', max: '', interval: '' }])}
      >
        Add bucket
      </button>
    </fieldset>
  );
}

/** The drafts as the API takes them (numbers as numbers where they are numbers). */
export function bucketsOf(drafts: BucketDraft[]): { name: string; max: number | string; interval: number | string }[] {
  const num = (v: string) => (v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v);
  return drafts.map((b) => ({ name: b.name.trim(), max: num(b.max), interval: num(b.interval) }));
}

/** A limit's buckets as the API returns them (a JSON string, numbers as strings) into drafts. */
export function draftsOf(buckets: string): BucketDraft[] {
  try {
    const list = JSON.parse(buckets) as { name: string; max: string | number; interval: string | number }[];
    return list.map((b) => ({ name: b.name, max: String(b.max), interval: String(b.interval) }));
  } catch {
    return [];
  }
}
