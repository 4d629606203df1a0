import { Logger, type LoggerService } from '@nestjs/common';
import { maskDestination } from '@app/contracts';
import { randomUUID } from 'node:crypto';
import type { OutgoingSms, SmsProvider } from '../sms-provider';

/**
 * "Sends" by writing one log line: destination masked, text with the code masked. For
 * development and tests; the development outbox, when on, keeps the full message elsewhere.
 */
export class LogSmsProvider implements SmsProvider {
  readonly name = 'log';

  constructor(private readonly logger: LoggerService = new Logger('LogSmsProvider')) {}

  async send(message: OutgoingSms): Promise<{ providerMessageId: string }> {
    const providerMessageId = `log-${randomUUID()}`;
    this.logger.log({
      message: 'sms sent (log provider)',
      dispatchId: message.dispatchId,
      from: message.from,
      to: maskDestination(message.to),
      body: message.maskedText,
      providerMessageId,
    });
    return { providerMessageId };
  }
}
