import { useState } from 'preact/hooks';
import { api } from '../../api/client';
import type { Envelope } from '../../api/types';
import { describeError } from '../../ui/errors';
import { Field, Select } from '../../ui/fields';
import { formatTime } from '../../ui/format';
import { PageTitle } from '../../ui/page-title';
import { useResource } from '../../ui/resource';
import { FormMessage, ResourceView } from '../../ui/states';
import type { FraudBlock, FraudSettings, GeoPermission, SafeListEntry } from './fraud-types';

const MODES = [
  { value: 'block', label: 'Block (refuse suspicious sends)' },
  { value: 'monitor', label: 'Monitor (record the decision, send anyway)' },
];
const LEVELS = ['relaxed', 'standard', 'strict'].map((v) => ({ value: v, label: v }));
const PERMISSIONS = [
  { value: 'allow', label: 'Allow' },
  { value: 'block', label: 'Block' },
];

type Message = { error?: string; success?: string };

/** Runs a change, reporting its outcome to the section's message, then reloads what it changed. */
async function change(run: () => Promise<unknown>, done: string, setMessage: (m: Message) => void, reload: () => void) {
  try {
    await run();
    setMessage({ success: done });
    reload();
  } catch (error) {
    setMessage({ error: describeError(error) });
  }
}

/**
 * The fraud guard (SPEC 12): the account's settings, geo permissions per country and channel,
 * the safe list and the active blocks with unblock. Shown only when the server has the guard.
 */
export function FraudPage() {
  return (
    <>
      <PageTitle>Fraud guard</PageTitle>
      <p class="lede">
        Checks every SMS and voice send before limits count it: safe list, blocks, geo permissions, number type,
        velocity and conversion.
      </p>
      <SettingsSection />
      <GeoSection />
      <SafeListSection />
      <BlocksSection />
    </>
  );
}

function SettingsSection() {
  const settings = useResource('fraud-settings', () => api.get<Envelope<FraudSettings>>('/2fa/fraud/settings'));
  const [message, setMessage] = useState<Message>({});
  return (
    <section aria-labelledby="fraud-settings">
      <h2 id="fraud-settings">Settings</h2>
      <ResourceView resource={settings} label="the settings">
        {({ data }) => (
          <form
            class="stacked"
            key={data.dateUpdated ?? 'default'}
            onSubmit={(e) => {
              e.preventDefault();
              const form = new FormData(e.currentTarget);
              void change(
                () =>
                  api.put('/2fa/fraud/settings', {
                    mode: form.get('mode'),
                    level: form.get('level'),
                    allowBypass: form.get('allowBypass') === 'on',
                  }),
                'Settings saved.',
                setMessage,
                settings.reload,
              );
            }}
          >
            <Select label="Mode" name="mode" options={MODES} defaultValue={data.mode} />
            <Select label="Level" name="level" options={LEVELS} defaultValue={data.level} />
            <div class="field checkbox">
              <input id="allow-bypass" type="checkbox" name="allowBypass" defaultChecked={data.allowBypass} />
              <label for="allow-bypass">Allow trusted callers to skip the check (riskCheck: false)</label>
            </div>
            {data.defaultBlockedCountries && data.defaultBlockedCountries.length > 0 && (
              <p class="hint">
                Blocked by the operator unless allowed below: {data.defaultBlockedCountries.join(', ')}
              </p>
            )}
            <FormMessage {...message} />
            <button type="submit">Save settings</button>
          </form>
        )}
      </ResourceView>
    </section>
  );
}

function GeoSection() {
  const geo = useResource('fraud-geo', () => api.get<Envelope<GeoPermission[]>>('/2fa/fraud/geo-permissions'));
  const [message, setMessage] = useState<Message>({});
  return (
    <section aria-labelledby="fraud-geo">
      <h2 id="fraud-geo">Geo permissions</h2>
      <form
        class="filters"
        aria-label="Set a country's permissions"
        onSubmit={(e) => {
          e.preventDefault();
          const form = e.currentTarget;
          const data = new FormData(form);
          const country = String(data.get('countryCode') ?? '').trim();
          void change(
            () =>
              api.put(`/2fa/fraud/geo-permissions/${encodeURIComponent(country)}`, {
                sms: data.get('sms'),
                call: data.get('call'),
              }),
            `Permissions of ${country.toUpperCase()} saved.`,
            setMessage,
            () => {
              form.reset();
              geo.reload();
            },
          );
        }}
      >
        <Field label="Country code" name="countryCode" required maxLength={2} size={4} hint="Two letters, e.g. GB" />
        <Select label="SMS" name="sms" options={PERMISSIONS} />
        <Select label="Voice call" name="call" options={PERMISSIONS} />
        <div class="filter-actions">
          <button type="submit">Set permissions</button>
        </div>
      </form>
      <FormMessage {...message} />
      <ResourceView
        resource={geo}
        label="geo permissions"
        isEmpty={(reply) => reply.data.length === 0}
        empty={<p>Every country is allowed on both channels.</p>}
      >
        {(reply) => (
          <div class="table-scroll" tabIndex={0} role="region" aria-label="Geo permissions, table">
            <table>
              <caption>Geo permissions per country</caption>
              <thead>
                <tr>
                  <th scope="col">Country</th>
                  <th scope="col">SMS</th>
                  <th scope="col">Voice call</th>
                  <th scope="col">Set by</th>
                </tr>
              </thead>
              <tbody>
                {reply.data.map((g) => (
                  <tr key={g.countryCode}>
                    <th scope="row">{g.countryCode}</th>
                    <td>{g.sms}</td>
                    <td>{g.call}</td>
                    <td>{g.source === 'default' ? 'operator default' : 'this account'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </ResourceView>
    </section>
  );
}

function SafeListSection() {
  const list = useResource('fraud-safe', () => api.get<Envelope<SafeListEntry[]>>('/2fa/fraud/safe-list'));
  const [message, setMessage] = useState<Message>({});
  return (
    <section aria-labelledby="fraud-safe">
      <h2 id="fraud-safe">Safe list</h2>
      <form
        class="filters"
        aria-label="Add to the safe list"
        onSubmit={(e) => {
          e.preventDefault();
          const form = e.currentTarget;
          const data = new FormData(form);
          const kind = String(data.get('kind'));
          const value = String(data.get('value') ?? '').trim();
          const description = String(data.get('description') ?? '').trim();
          void change(
            () => api.post('/2fa/fraud/safe-list', { [kind]: value, ...(description ? { description } : {}) }),
            `${value} added to the safe list.`,
            setMessage,
            () => {
              form.reset();
              list.reload();
            },
          );
        }}
      >
        <Select
          label="Kind"
          name="kind"
          options={[
            { value: 'number', label: 'Number' },
            { value: 'prefix', label: 'Prefix' },
          ]}
        />
        <Field label="Number or prefix" name="value" required hint="E.164, e.g. +14155550123 or +4477" />
        <Field label="Note" name="description" maxLength={256} />
        <div class="filter-actions">
          <button type="submit">Add to safe list</button>
        </div>
      </form>
      <FormMessage {...message} />
      <ResourceView
        resource={list}
        label="the safe list"
        isEmpty={(reply) => reply.data.length === 0}
        empty={<p>The safe list is empty.</p>}
      >
        {(reply) => (
          <div class="table-scroll" tabIndex={0} role="region" aria-label="Safe list, table">
            <table>
              <caption>Safe list</caption>
              <thead>
                <tr>
                  <th scope="col">Entry</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Note</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Action</th>
                </tr>
              </thead>
              <tbody>
                {reply.data.map((s) => (
                  <tr key={s.id}>
                    <th scope="row" class="mono">
                      {s.value}
                    </th>
                    <td>{s.kind}</td>
                    <td>{s.description ?? '—'}</td>
                    <td>{s.dateExpires ? formatTime(s.dateExpires) : 'never'}</td>
                    <td>
                      <button
                        type="button"
                        class="secondary"
                        onClick={() =>
                          change(
                            () => api.delete(`/2fa/fraud/safe-list/${s.id}`),
                            `${s.value} removed from the safe list.`,
                            setMessage,
                            list.reload,
                          )
                        }
                      >
                        Remove {s.value}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </ResourceView>
    </section>
  );
}

function BlocksSection() {
  const blocks = useResource('fraud-blocks', () => api.get<Envelope<FraudBlock[]>>('/2fa/fraud/blocks'));
  const [message, setMessage] = useState<Message>({});
  return (
    <section aria-labelledby="fraud-blocks">
      <h2 id="fraud-blocks">Active blocks</h2>
      <FormMessage {...message} />
      <ResourceView
        resource={blocks}
        label="blocks"
        isEmpty={(reply) => reply.data.length === 0}
        empty={<p>No active blocks.</p>}
      >
        {(reply) => (
          <div class="table-scroll" tabIndex={0} role="region" aria-label="Active blocks, table">
            <table>
              <caption>Active blocks</caption>
              <thead>
                <tr>
                  <th scope="col">Scope</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Counters</th>
                  <th scope="col">Level</th>
                  <th scope="col">Until</th>
                  <th scope="col">Action</th>
                </tr>
              </thead>
              <tbody>
                {reply.data.map((b) => (
                  <tr key={b.id}>
                    <th scope="row">
                      {b.scope.kind} <span class="mono">{b.scope.value}</span>
                    </th>
                    <td>{b.reason}</td>
                    <td>
                      {Object.entries(b.counters)
                        .map(([k, v]) => `${k} ${v}`)
                        .join(', ')}
                    </td>
                    <td class="num">{b.level}</td>
                    <td>{formatTime(b.dateUntil)}</td>
                    <td>
                      <button
                        type="button"
                        onClick={() =>
                          change(
                            () => api.delete(`/2fa/fraud/blocks/${b.id}`),
                            `Unblocked ${b.scope.value}.`,
                            setMessage,
                            blocks.reload,
                          )
                        }
                      >
                        Unblock {b.scope.value}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </ResourceView>
    </section>
  );
}
