import { z } from 'zod';
import { ProviderError } from '../../provider';
import type { ProviderContext } from '../../provider-settings';
import { vendorText } from '../vendor-http';

/**
 * What the SNS and SES entries share: the region, and optionally an access key. Without one the
 * AWS SDK's default chain applies (the AWS_* environment variables, a web identity token as
 * EKS's IAM roles for service accounts provide, the ECS or EC2 instance role), which is what a
 * deployment on AWS should use.
 */
export const AwsSettings = z
  .object({
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region, like "eu-west-1"'),
    accessKeyId: z.string().min(16).optional(),
    /** Secret. */
    secretAccessKey: z.string().min(1).optional(),
    /** Secret: for temporary credentials. */
    sessionToken: z.string().min(1).optional(),
  })
  .superRefine((s, issue) => {
    if (s.accessKeyId && !s.secretAccessKey)
      issue.addIssue({ code: 'custom', path: ['secretAccessKey'], message: 'is required with accessKeyId' });
    if (!s.accessKeyId && s.secretAccessKey)
      issue.addIssue({ code: 'custom', path: ['accessKeyId'], message: 'is required with secretAccessKey' });
  });
export type AwsSettings = z.infer<typeof AwsSettings>;

/**
 * The SDK client's configuration: the entry's `baseUrl` as the endpoint (else the SDK resolves
 * the region's, partitions such as `amazonaws.com.cn` included); one attempt per send, since
 * the dispatcher owns retries and failover (an SDK retry inside would hide a slow provider
 * from the circuit breaker); the dispatcher's time limit for connecting and for the answer.
 */
export function awsClientConfig(ctx: ProviderContext, settings: AwsSettings, endpoint: string) {
  const { region, accessKeyId, secretAccessKey, sessionToken } = settings;
  return {
    region,
    endpoint: endpoint || undefined,
    credentials: accessKeyId ? { accessKeyId, secretAccessKey: secretAccessKey as string, sessionToken } : undefined,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: ctx.timeoutMs, requestTimeout: ctx.timeoutMs },
  };
}

/** An error the SDK threw for an answer of the service: the wire code, the status, who is at fault. */
interface AwsServiceError extends Error {
  /** The Query protocol's `<Error><Code>` (SNS); the JSON protocols put it in `name` (SES v2). */
  Code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

/**
 * Codes AWS answers on every API for throttling and for its own trouble; worth another try (or
 * the next provider). A refused login (403) is too, like the other vendors': a rotated key is
 * the account's problem, not the message's.
 */
const TRANSIENT_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'Throttled',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'InternalFailure',
  'InternalError',
  'RequestTimeout',
  'RequestTimeoutException',
  'RequestExpired',
]);

/**
 * Maps what a send through the SDK threw onto a {@link ProviderError}: a service error keeps
 * the vendor's code (`sns_InvalidParameter`, `ses_MessageRejected`) and is permanent only when
 * its code is in `permanentCodes` (errors about this message or this destination); no answer
 * at all (refused, reset, timed out) is transient.
 */
export function awsFailure(vendor: 'sns' | 'ses', error: unknown, permanentCodes: ReadonlySet<string>): ProviderError {
  if (error instanceof ProviderError) return error;
  const e = error as AwsServiceError;
  const status = e.$metadata?.httpStatusCode;
  if (status === undefined || !e.$fault) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError')
      return new ProviderError('timeout', `${vendor.toUpperCase()} did not answer in time`, false);
    return new ProviderError(
      'provider_unreachable',
      `${vendor.toUpperCase()} unreachable: ${vendorText(e.message, 'no answer')}`,
      false,
    );
  }
  const code = e.Code ?? e.name;
  const permanent = permanentCodes.has(code) && !TRANSIENT_CODES.has(code) && status < 500;
  return new ProviderError(
    `${vendor}_${code}`,
    `${vendor.toUpperCase()} answered ${status} ${code}: ${vendorText(e.message, 'no message')}`,
    permanent,
  );
}
