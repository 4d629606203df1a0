import type { DispatchMessage } from '@app/contracts';
import { z } from 'zod';
import type { Accepted, CallbackVerdict, ChannelProvider, ReportedStatus } from '../provider';
import { type ProviderContext, settingsOf } from '../provider-settings';
import { callVendor, type VendorAnswer } from './vendor-http';

/**
 * What every vendor's provider shares: it is built from one providers-file entry, whose name is
 * both its name in the records and the `{name}` of its callback path, and whose settings are
 * checked once, at start, against the vendor's schema (a bad one stops the start naming it).
 */
export abstract class VendorProvider<S extends z.ZodType> implements ChannelProvider {
  readonly name: string;
  readonly callbackName: string;
  protected readonly settings: z.infer<S>;
  /**
   * The entry's `baseUrl` (regional endpoints, tests), else the vendor's; empty for a vendor
   * whose SDK resolves its own endpoint, or whose accounts each have their own (then required).
   */
  protected readonly baseUrl: string;

  protected constructor(
    protected readonly ctx: ProviderContext,
    schema: S,
    baseUrl: { default: string } | 'required' | 'sdk',
  ) {
    this.settings = settingsOf(schema, ctx);
    if (baseUrl === 'required' && !ctx.entry.baseUrl) settingsOf(z.object({ baseUrl: z.string() }), ctx);
    this.baseUrl = ctx.entry.baseUrl ?? (typeof baseUrl === 'object' ? baseUrl.default : '');
    this.name = ctx.entry.name;
    this.callbackName = ctx.entry.name;
  }

  abstract send(message: DispatchMessage): Promise<Accepted>;

  /** A JSON POST to `<baseUrl><path>` within the dispatcher's time limit; the answer whatever its status. */
  protected postJson(path: string, headers: Record<string, string>, body: unknown): Promise<VendorAnswer> {
    return callVendor(
      `${this.baseUrl}${path}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body: JSON.stringify(body),
      },
      this.ctx.timeoutMs,
    );
  }
}

/** A final status a vendor reports, in our terms. */
export type FinalStatus = Exclude<ReportedStatus['status'], 'sent'>;

/** A vendor's final statuses in our terms; a status it does not list is interim. */
export type StatusMap = Readonly<Record<string, FinalStatus>>;

/**
 * The verdict on a report about one message: the final status `statuses` gives the vendor's
 * `status`, with the vendor's error (none for `delivered`), or nothing at all for an interim
 * one. Only the map's own keys count (a vendor's `constructor` is no status of ours).
 */
export function reportOf(
  ids: { providerMessageId: string; dispatchId?: string },
  statuses: StatusMap,
  status: string | undefined,
  error: { code: string; message: string },
): CallbackVerdict {
  const ours = status !== undefined && Object.hasOwn(statuses, status) ? statuses[status] : undefined;
  if (!ours) return { kind: 'accepted', reports: [] };
  return { kind: 'accepted', reports: [{ ...ids, status: ours, ...(ours === 'delivered' ? {} : { error }) }] };
}
