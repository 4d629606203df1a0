import type { LoggerService } from '@nestjs/common';
import { LogProvider } from '@app/dispatch';

/** The `log` provider of the SMS channel. */
export class LogSmsProvider extends LogProvider {
  constructor(logger?: LoggerService) {
    super('sms', logger);
  }
}
