import { Body, Controller, Headers, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { CommandInput } from '@app/contracts';
import { NatsRpcClient } from '@app/platform';
import type { Response } from 'express';
import { AccountsService } from '../accounts/accounts.service';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { bodyObject } from '../http/body';
import { sendReply } from '../http/reply';
import { idempotencyKeyHeader, sendOtpCommand } from './otp-send';

/**
 * `/2fa/send`, `/2fa/verify`, `/2fa/cancel`: authenticate, resolve the acting account, and
 * hand the body to otp-core, which validates it with the same schema as for NATS callers.
 */
@Controller('2fa')
export class OtpHttpController {
  constructor(
    private readonly rpc: NatsRpcClient,
    private readonly accounts: AccountsService,
  ) {}

  @Post('send')
  @HttpCode(200)
  async send(
    @Req() req: AuthenticatedRequest,
    @Body() raw: unknown,
    @Res() res: Response,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<void> {
    const body = bodyObject(raw);
    const key = idempotencyKeyHeader(idempotencyKey);
    const actor = await this.accounts.actingAccount(req.account, body.accountSid);
    const command = { ...body, ...actor, idempotencyKey: key } as CommandInput<'otp.v1.send'>;
    sendReply(res, await sendOtpCommand(this.rpc, command));
  }

  @Post('verify')
  @HttpCode(200)
  async verify(@Req() req: AuthenticatedRequest, @Body() raw: unknown, @Res() res: Response): Promise<void> {
    const body = bodyObject(raw);
    const actor = await this.accounts.actingAccount(req.account, body.accountSid);
    sendReply(res, await this.rpc.request('otp.v1.verify', { ...body, ...actor } as CommandInput<'otp.v1.verify'>));
  }

  @Post('cancel')
  @HttpCode(200)
  async cancel(@Req() req: AuthenticatedRequest, @Body() raw: unknown, @Res() res: Response): Promise<void> {
    const body = bodyObject(raw);
    const actor = await this.accounts.actingAccount(req.account, body.accountSid);
    sendReply(res, await this.rpc.request('otp.v1.cancel', { ...body, ...actor } as CommandInput<'otp.v1.cancel'>));
  }
}
