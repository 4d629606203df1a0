import { Controller, Get, Inject, Query, Req } from '@nestjs/common';
import {
  accountSid,
  CHANNELS,
  DevOutboxEntry,
  DomainError,
  isErrorReply,
  normaliseDestination,
  Subjects,
  ErrorCode,
} from '@app/contracts';
import { APP_CONFIG, type AppConfig, NatsRpcClient, ApiOperation } from '@app/platform';
import { AccountsService } from '../accounts/accounts.service';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { okWith } from '../http/reply.schemas';
import { z } from 'zod';

/**
 * `GET /2fa/dev/outbox?to=DEST`: the full messages the `log` providers kept, for a developer
 * or a test to read the code. Exists only with DEV_OUTBOX=true; otherwise 404.
 */
@Controller('2fa/dev/outbox')
export class DevOutboxHttpController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly rpc: NatsRpcClient,
    private readonly accounts: AccountsService,
  ) {}

  @ApiOperation({
    operationId: 'devOutbox',
    tag: 'Development',
    summary: 'Messages the log providers kept (development only)',
    description: 'Newest first, with the code in the body. 404 unless the service runs with `DEV_OUTBOX=true`.',
    query: z.object({
      to: z.string().min(1).max(254).meta({ description: 'The destination, as sent.' }),
      accountSid: accountSid.optional().meta({ description: "A sub-account's messages." }),
    }),
    response: okWith(z.array(DevOutboxEntry)),
    errors: [403, 404, 503],
  })
  @Get()
  async list(
    @Req() req: AuthenticatedRequest,
    @Query('to') to: unknown,
    @Query('accountSid') accountSid: unknown,
  ): Promise<{ code: 200; message: 'OK'; data: DevOutboxEntry[] }> {
    if (!this.config.devOutbox) throw new DomainError(ErrorCode.NotFound);
    if (typeof to !== 'string' || !to.trim() || to.length > 254)
      throw new DomainError(ErrorCode.BadRequest, 'to is required', { field: 'to' });
    const actor = await this.accounts.actingAccount(req.account, accountSid);
    const destination = normaliseDestination(to);
    // Each channel's dispatcher keeps its own outbox; a channel not deployed does not answer.
    const replies = await Promise.all(
      CHANNELS.map((channel) =>
        this.rpc.request(
          Subjects.devOutbox(channel),
          { accountSid: actor.accountSid, to: destination },
          { optional: true },
        ),
      ),
    );
    const answered = replies.filter((r) => !isErrorReply(r));
    if (!answered.length) throw new DomainError(ErrorCode.Unavailable);
    const data = answered
      .flatMap((r) => ('data' in r ? r.data : []))
      .sort((a, b) => (a.dateCreated < b.dateCreated ? 1 : -1));
    return { code: 200, message: 'OK', data };
  }
}
