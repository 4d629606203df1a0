import { Logger, type LoggerService } from '@nestjs/common';
import { maskDestination } from '@app/contracts';
import { randomUUID } from 'node:crypto';
import type { OutgoingSms, SmsProvider } from '../sms-provider';

/**
 * "Sends" by writing one log line. For development and tests; the development outbox, when
 * on, keeps the full message elsewhere. The line is built from the masked fields only: the
 * logger's redaction is a second line of defence, not the first.
 */
export class LogSmsProvider implements SmsProvider {
  readonly name = 'log';

  constructor(private readonly logger: LoggerService = new Logger(LogSmsProvider.name)) {}

  async send(message: OutgoingSms): Promise<{ providerMessageId: string }> {
    const providerMessageId = `log-${randomUUID()}`;
    this.logger.log({
      message: 'sms sent (log provider)',
      dispatchId: message.dispatchId,
      // The sender may be a number too; it is ours, but the rule is no full number in a log.
      from: maskDestination(message.from),
      to: maskDestination(message.to),
      maskedText: message.maskedText,
      providerMessageId,
    });
    return { providerMessageId };
  }
}
