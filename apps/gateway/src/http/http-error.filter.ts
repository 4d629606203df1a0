import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { DomainError, type ErrorReply } from '@app/contracts';
import { toErrorReply } from '@app/platform';
import type { Response } from 'express';
import { sendReply } from './reply';

/**
 * Every failure of an HTTP route leaves as a catalog body: a domain error as itself, Nest's
 * "no such route" as 404, an outage as 503 with Retry-After, anything else as a 500 that
 * shows an error id and never internals.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    let reply: ErrorReply;
    if (exception instanceof DomainError) {
      reply = exception.toReply();
    } else if (exception instanceof HttpException && exception.getStatus() === 404) {
      reply = { code: 404, message: 'Not Found' };
    } else if (exception instanceof HttpException && exception.getStatus() < 500) {
      reply = { code: 400, message: `Invalid request: ${exception.message}` };
    } else {
      reply = toErrorReply(exception, this.logger);
    }
    sendReply(res, reply);
  }
}
