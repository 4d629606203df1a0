import type { LoggerService } from '@nestjs/common';
import type { DispatchMessage } from '@app/contracts';
import { type Accepted, LogProvider } from '@app/dispatch';
import { segment } from '@app/dispatch';

/** The `log` provider of the SMS channel; counts the parts a real SMS would take. */
export class LogSmsProvider extends LogProvider {
  constructor(logger?: LoggerService) {
    super('sms', logger);
  }

  override async send(
    message: Pick<DispatchMessage, 'dispatchId' | 'from' | 'to' | 'maskedText'> & Partial<DispatchMessage>,
  ): Promise<Accepted> {
    const accepted = await super.send(message);
    return { ...accepted, units: segment(message.text ?? message.maskedText).parts.length };
  }
}
