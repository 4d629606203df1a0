import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { DomainError, type ErrorReply, ErrorCode } from '@app/contracts';
import { toErrorReply } from '@app/platform';
import type { Response } from 'express';
import { AnswerException, sendAnswer, sendReply } from './reply';

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
    if (exception instanceof AnswerException) return sendAnswer(res, exception.answer);
    let reply: ErrorReply;
    if (exception instanceof DomainError) {
      reply = exception.toReply();
    } else if (exception instanceof HttpException && exception.getStatus() === HttpStatus.NOT_FOUND) {
      reply = { code: ErrorCode.NotFound, message: 'Not Found' };
    } else if (exception instanceof HttpException && exception.getStatus() < 500) {
      reply = { code: ErrorCode.BadRequest, message: `Invalid request: ${exception.message}` };
    } else {
      reply = toErrorReply(exception, this.logger);
    }
    sendReply(res, reply);
  }
}
