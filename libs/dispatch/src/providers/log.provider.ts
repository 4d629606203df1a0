import { Logger, type LoggerService } from '@nestjs/common';
import { type Channel, type DispatchMessage, maskDestination } from '@app/contracts';
import { randomUUID } from 'node:crypto';
import type { Accepted, ChannelProvider } from '../provider';

/**
 * "Sends" by writing one log line. For development and tests; the development outbox, when
 * on, keeps the full message elsewhere. The line is built from the masked fields only: the
 * logger's redaction is a second line of defence, not the first.
 */
export class LogProvider implements ChannelProvider {
  readonly name = 'log';

  constructor(
    private readonly channel: Channel,
    private readonly logger: LoggerService = new Logger(LogProvider.name),
  ) {}

  async send(
    message: Pick<DispatchMessage, 'dispatchId' | 'from' | 'to' | 'maskedText'> & Partial<DispatchMessage>,
  ): Promise<Accepted> {
    const providerMessageId = `log-${randomUUID()}`;
    this.logger.log({
      message: `${this.channel} sent (log provider)`,
      dispatchId: message.dispatchId,
      // The sender may be a number too; it is ours, but the rule is no full number in a log.
      from: maskDestination(message.from),
      to: maskDestination(message.to),
      maskedText: message.maskedText,
      providerMessageId,
    });
    return { providerMessageId, units: 1 };
  }
}
