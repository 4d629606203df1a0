import type { Accepted, ChannelProvider } from '@app/dispatch';

/** One SMS as a provider sees it. `maskedText` is what may be logged; `text` holds the code. */
export interface OutgoingSms {
  dispatchId: string;
  from: string;
  to: string;
  text: string;
  maskedText: string;
}

/** A way of sending SMS; see {@link ChannelProvider}. */
export interface SmsProvider extends ChannelProvider {
  send(message: OutgoingSms): Promise<Accepted>;
}

export const SMS_PROVIDER = Symbol('SMS_PROVIDER');
