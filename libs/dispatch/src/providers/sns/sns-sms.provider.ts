import type { DispatchMessage } from '@app/contracts';
import { type MessageAttributeValue, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { type Accepted, withTimeout } from '../../provider';
import type { ProviderContext } from '../../provider-settings';
import { awsClientConfig, awsFailure, AwsSettings } from '../aws/aws-client';
import { VendorProvider } from '../vendor-provider';

const SnsSettings = AwsSettings.and(
  z.object({
    /** `Transactional` (an OTP: optimised for delivery) unless told otherwise. */
    smsType: z.enum(['Transactional', 'Promotional']).default('Transactional'),
    /**
     * Sender: an E.164 number becomes `AWS.MM.SMS.OriginationNumber`, anything else
     * `AWS.SNS.SMS.SenderID` (1–11 letters and digits, where the country allows one); the send's
     * `from` when absent.
     */
    from: z.string().min(1).optional(),
    /** `AWS.SNS.SMS.MaxPrice`, in USD per message. */
    maxPrice: z
      .string()
      .regex(/^\d+(\.\d+)?$/, 'must be a price in USD, like "0.50"')
      .optional(),
  }),
);

/**
 * Publish codes about this message or this destination (SNS's Publish errors): the number is
 * invalid or the parameters are (`InvalidParameter`, `ParameterValueInvalid`,
 * `ValidationException`), it opted out (`OptedOut`), the endpoint is disabled. The rest (a
 * refused key, KMS, `Throttled`, `InternalError`) is about the account or AWS.
 */
const PERMANENT_CODES = new Set([
  'InvalidParameter',
  'ParameterValueInvalid',
  'ValidationException',
  'OptedOut',
  'EndpointDisabled',
]);

/**
 * SMS through Amazon SNS: the `Publish` action to a `PhoneNumber` (the Query API, a
 * form-encoded POST signed with Signature Version 4, answered in XML), through the AWS SDK.
 * SNS answers the `MessageId`; its errors carry a code (`<Error><Code>`), mapped by
 * {@link PERMANENT_CODES}. Delivery reports: SNS has none over HTTP for SMS sent to a phone
 * number (its delivery status logs go to CloudWatch Logs only), so `sent` is the last word of
 * an SNS dispatch and this provider has no callback.
 */
export class SnsSmsProvider extends VendorProvider<typeof SnsSettings> {
  private readonly client: SNSClient;

  constructor(ctx: ProviderContext) {
    super(ctx, SnsSettings, 'sdk');
    this.client = new SNSClient(awsClientConfig(ctx, this.settings, this.baseUrl));
  }

  async send(message: DispatchMessage): Promise<Accepted> {
    const { smsType, from, maxPrice } = this.settings;
    const sender = from ?? message.from;
    const attribute = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });
    const attributes: Record<string, MessageAttributeValue> = { 'AWS.SNS.SMS.SMSType': attribute(smsType) };
    if (/^\+\d{6,15}$/.test(sender)) attributes['AWS.MM.SMS.OriginationNumber'] = attribute(sender);
    else if (/^[A-Za-z0-9]{1,11}$/.test(sender)) attributes['AWS.SNS.SMS.SenderID'] = attribute(sender);
    if (maxPrice) attributes['AWS.SNS.SMS.MaxPrice'] = attribute(maxPrice);
    try {
      const answer = await withTimeout(
        this.client.send(
          new PublishCommand({ PhoneNumber: message.to, Message: message.text, MessageAttributes: attributes }),
        ),
        this.ctx.timeoutMs,
      );
      if (!answer.MessageId) throw new Error('SNS answered without a MessageId');
      return { providerMessageId: answer.MessageId, units: 1 };
    } catch (error) {
      throw awsFailure('sns', error, PERMANENT_CODES);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
