/** One SMS as a provider sees it. `maskedText` is what may be logged; `text` holds the code. */
export interface OutgoingSms {
  dispatchId: string;
  from: string;
  to: string;
  text: string;
  maskedText: string;
}

/**
 * What a way of sending SMS must do. Later providers (SMPP, HTTPS webhook) map their vendor's
 * answers onto this; a thrown error means "not accepted, may be retried".
 */
export interface SmsProvider {
  readonly name: string;
  send(message: OutgoingSms): Promise<{ providerMessageId: string }>;
}

export const SMS_PROVIDER = Symbol('SMS_PROVIDER');
