/**
 * What the API answers, as the contracts define it. Types only: nothing of libs/contracts is
 * bundled, and no rule of the server is repeated here.
 */
export type {
  Bucket,
  DevOutboxEntry,
  LimitData,
  Page,
  SdrAttemptData,
  SdrData,
  UsagePeriod,
  UsageReply,
} from '@app/contracts';

export interface Envelope<T> {
  code: 200;
  message: string;
  data: T;
}

/** GET|POST /2fa/session. */
export interface SessionData {
  accountSid: string;
  email: string;
  parentAccountSid: string | null;
  csrfToken: string;
  idleExpiresAt: string;
  absoluteExpiresAt: string;
  features: { devOutbox: boolean };
}

/** GET /2fa/accounts (a sub-account), and POST, which adds the token once. */
export interface AccountData {
  accountSid: string;
  email: string;
  friendlyName: string | null;
  parentAccountSid: string | null;
  dateCreated: string;
  authToken?: string;
}
