import { type ArgumentsHost, applyDecorators, Catch, type RpcExceptionFilter, UseFilters } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import type { CommandSubject } from '@app/contracts';
import { type Observable, throwError } from 'rxjs';

/** Lets a handler's error reach {@link NatsRpcServer}, which maps it to a catalog reply. */
@Catch()
export class RpcErrorPassthrough implements RpcExceptionFilter {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}

/**
 * Declares the handler of a contract subject. The payload it receives has been validated
 * against the subject's schema; what it throws is answered as a catalog error.
 */
export function CommandHandler(subject: CommandSubject): MethodDecorator {
  return applyDecorators(MessagePattern(subject), UseFilters(RpcErrorPassthrough));
}
