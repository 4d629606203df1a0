import type { Channel, DispatchMessage } from '@app/contracts';

/** What a provider answered when it took a message. */
export interface Accepted {
  providerMessageId: string;
  /** Billable units (SMS segments); 1 when not given. */
  units?: number;
  /** Ids of the other parts of a multi-part message, whose receipts also resolve to it. */
  otherMessageIds?: string[];
}

/** A receipt a provider reports on its own connection (SMPP deliver_sm), by its message id. */
export interface ProviderReceipt {
  providerMessageId: string;
  status: 'delivered' | 'undelivered' | 'failed';
  error?: { code: string; message: string };
}

/**
 * A vendor's delivery report as it reached `POST /2fa/callbacks/{name}` (or GET, for vendors
 * that report that way), handed over untouched by the gateway: the URL as the vendor called it
 * (PUBLIC_URL + path and query, which is what signatures cover), the headers (lower-case
 * names) and the raw body bytes.
 */
export interface CallbackRequest {
  method: string;
  url: string;
  headers: Readonly<Record<string, string>>;
  body: Buffer;
  receivedAt: Date;
}

/** What a delivery report said about one message; `status` in our terms. */
export interface ReportedStatus {
  /** Our dispatch id, where the vendor echoes it; else the vendor's message id resolves it. */
  dispatchId?: string;
  providerMessageId?: string;
  /** `sent` only from the generic webhook's callbacks, which may say so. */
  status: 'sent' | 'delivered' | 'undelivered' | 'failed';
  error?: { code: string; message: string };
}

/**
 * A provider's verdict on a delivery report: `accepted` with what it said (nothing, for an
 * interim status such as Twilio's `sending`), `forged` when the vendor's signature does not
 * check out (answered 401), `invalid` when it does but the report cannot be read (400).
 */
export type CallbackVerdict =
  | { kind: 'accepted'; reports: ReportedStatus[] }
  | { kind: 'forged'; reason: string }
  | { kind: 'invalid'; message: string; field: string };

/**
 * One way of delivering one channel. `send` resolves once the provider accepted the message;
 * a thrown {@link ProviderError} says whether trying again can help, any other error counts as
 * transient. The message carries the code in `text`: a provider logs `maskedText` only.
 */
export interface ChannelProvider {
  readonly name: string;
  send(message: DispatchMessage): Promise<Accepted>;
  /** Providers with a connection of their own deliver receipts here (set before the first send). */
  onReceipt?(handler: (receipt: ProviderReceipt) => Promise<void>): void;
  /**
   * Checks and reads a delivery report that arrived at `/2fa/callbacks/{callbackName}`. Only
   * providers whose vendor calls back over HTTP have one.
   */
  handleCallback?(request: CallbackRequest): CallbackVerdict | Promise<CallbackVerdict>;
  /** The `{name}` of its callback path: the providers-file entry's name. */
  readonly callbackName?: string;
  close?(): Promise<void>;
}

/** A provider's refusal. `permanent` ones (a 4xx, an SMTP 5xx, an invalid number) are not retried. */
export class ProviderError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'ProviderError';
  }

  static from(error: unknown): ProviderError {
    if (error instanceof ProviderError) return error;
    return new ProviderError('provider_unavailable', (error as Error)?.message ?? String(error), false);
  }
}

/** Rejects with a transient error when the provider takes longer than `ms`. */
export async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ProviderError('timeout', `provider did not answer within ${ms} ms`, false)),
      ms,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export type { Channel };
