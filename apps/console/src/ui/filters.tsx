import type { Channel, DeliveryStatus, OtpStatus } from '@app/contracts';
import { setQuery } from '../router';
import { useConsole } from '../session-context';
import { Field, type Option, optionsOf, Select } from './fields';

/**
 * The choices of the filters, typed against the contract so that they cannot name a value the
 * API does not know. The server validates every filter; the console only offers them.
 */
export const CHANNEL_OPTIONS: Option[] = (['sms', 'call', 'email'] satisfies Channel[]).map((value) => ({
  value,
  label: { sms: 'SMS', call: 'Voice call', email: 'Email' }[value],
}));
export const STATUS_OPTIONS = optionsOf([
  'pending',
  'verified',
  'canceled',
  'expired',
  'failed',
  'blocked',
] satisfies OtpStatus[]);
export const DELIVERY_STATUS_OPTIONS = optionsOf([
  'queued',
  'sent',
  'delivered',
  'undelivered',
  'failed',
] satisfies DeliveryStatus[]);

/** Filters shared by records and usage: the API's names, kept in the URL as they are. */
export const SDR_FILTERS = [
  'service',
  'to',
  'channel',
  'status',
  'deliveryStatus',
  'countryCode',
  'startTime',
  'endTime',
  'accountSid',
  'subAccounts',
] as const;

const WITH_SUBS = 'subAccounts';

/** The query of the URL as an object of the named parameters only. */
export function pick(query: URLSearchParams, names: readonly string[]): Record<string, string | undefined> {
  return Object.fromEntries(names.map((n) => [n, query.get(n) ?? undefined]));
}

/**
 * The filter form of records and usage. Applying it writes the filters into the URL (a view
 * can be shared and reloaded), which is what the page then asks the API for.
 */
export function SdrFilterForm(props: {
  query: URLSearchParams;
  /** date for usage (whole UTC days), datetime-local for records. */
  timeInput: 'date' | 'datetime-local';
  /** Parameters of the page kept as they are (granularity, SortBy, pageSize). */
  keep: Record<string, string | undefined>;
  children?: preact.ComponentChildren;
}) {
  const { session, subAccounts } = useConsole();
  const q = props.query;
  const scope = q.get('accountSid') ?? (q.get('subAccounts') === 'true' ? WITH_SUBS : '');
  const onSubmit = (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const value = (name: string) => {
      const v = String(data.get(name) ?? '').trim();
      return v === '' ? undefined : v;
    };
    const chosenScope = value('scope');
    // A kept parameter the form has a field for (the period, the order) takes the field's value.
    const kept = Object.fromEntries(
      Object.entries(props.keep).map(([name, v]) => [name, data.has(name) ? value(name) : v]),
    );
    setQuery({
      ...kept,
      ...Object.fromEntries(
        ['service', 'to', 'channel', 'status', 'deliveryStatus', 'countryCode', 'startTime', 'endTime'].map((n) => [
          n,
          value(n),
        ]),
      ),
      accountSid: chosenScope && chosenScope !== WITH_SUBS ? chosenScope : undefined,
      subAccounts: chosenScope === WITH_SUBS ? 'true' : undefined,
    });
  };
  const time = (name: string) => {
    const v = q.get(name) ?? '';
    return props.timeInput === 'date' ? v.slice(0, 10) : v.slice(0, 16);
  };
  const scopeOptions: Option[] = [
    { value: WITH_SUBS, label: 'This account and its sub-accounts' },
    ...subAccounts.map((a) => ({ value: a.accountSid, label: `${a.friendlyName ?? a.email} (${a.accountSid})` })),
  ];
  return (
    // Keyed on the URL, so that back and forward show the filters of the view they return to.
    <form class="filters" role="search" aria-label="Filters" onSubmit={onSubmit} key={q.toString()}>
      {props.children}
      {session.parentAccountSid === null && subAccounts.length > 0 && (
        <Select
          label="Account"
          name="scope"
          any={`This account (${session.accountSid})`}
          options={scopeOptions}
          defaultValue={scope}
        />
      )}
      <Field label="Service" name="service" defaultValue={q.get('service') ?? ''} maxLength={64} />
      <Select
        label="Channel"
        name="channel"
        any="Any channel"
        options={CHANNEL_OPTIONS}
        defaultValue={q.get('channel') ?? ''}
      />
      <Field
        label="Country code"
        name="countryCode"
        defaultValue={q.get('countryCode') ?? ''}
        maxLength={2}
        size={4}
        hint="Two letters, e.g. US"
      />
      <Select
        label="Status"
        name="status"
        any="Any status"
        options={STATUS_OPTIONS}
        defaultValue={q.get('status') ?? ''}
      />
      <Select
        label="Delivery status"
        name="deliveryStatus"
        any="Any delivery status"
        options={DELIVERY_STATUS_OPTIONS}
        defaultValue={q.get('deliveryStatus') ?? ''}
      />
      <Field label="Destination" name="to" defaultValue={q.get('to') ?? ''} maxLength={254} hint="Exactly as sent" />
      <Field label="From (UTC)" name="startTime" type={props.timeInput} defaultValue={time('startTime')} />
      <Field label="To (UTC)" name="endTime" type={props.timeInput} defaultValue={time('endTime')} />
      <div class="filter-actions">
        <button type="submit">Apply filters</button>
        <button type="button" class="secondary" onClick={() => setQuery(props.keep)}>
          Clear
        </button>
      </div>
    </form>
  );
}
