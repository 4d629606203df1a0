import { Body, Controller, Headers, HttpCode, Post, Req, Res } from '@nestjs/common';
import { CancelOtpRequest, SendOtpRequest, VerifyOtpRequest } from '@app/contracts';
import { NatsRpcClient, ApiOperation } from '@app/platform';
import type { Response } from 'express';
import { z } from 'zod';
import { AccountsService } from '../accounts/accounts.service';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { bodyObject } from '../http/body';
import { replyBody } from '../http/reply';
import { OtpReplyBody } from '../http/reply.schemas';
import { idempotencyKeyHeader, sendOtpCommand } from './otp-send';

const IdempotencyHeaders = z.object({
  'Idempotency-Key': z.string().min(1).max(255).optional().meta({
    description: 'The same key from the same account within 24 h answers the first response and never sends again.',
  }),
});

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

  @ApiOperation({
    operationId: 'send',
    tag: 'OTP',
    summary: 'Send a code',
    description:
      'Counts the limits, makes a code and sends it on the channel; answers the `requestID` to verify or cancel it by.',
    body: SendOtpRequest,
    headers: IdempotencyHeaders,
    response: OtpReplyBody,
    rateLimitHeaders: true,
    errors: [403, 453, 454, 456, 457, 495, 497, 503],
  })
  @Post('send')
  @HttpCode(200)
  async send(
    @Req() req: AuthenticatedRequest,
    @Body() raw: unknown,
    @Res({ passthrough: true }) res: Response,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<object> {
    const body = bodyObject(raw);
    const key = idempotencyKeyHeader(idempotencyKey);
    const actor = await this.accounts.actingAccount(req.account, body.accountSid);
    return replyBody(res, await sendOtpCommand(this.rpc, { ...body, ...actor, idempotencyKey: key }));
  }

  @ApiOperation({
    operationId: 'verify',
    tag: 'OTP',
    summary: 'Verify a code',
    description: 'By `requestId`, or by `service` and `number` (then `requestId` is ignored). A code verifies once.',
    body: VerifyOtpRequest,
    response: OtpReplyBody,
    rateLimitHeaders: true,
    errors: [403, 454, 457, 470, 471, 472, 473, 474, 475, 476, 495, 503],
  })
  @Post('verify')
  @HttpCode(200)
  async verify(
    @Req() req: AuthenticatedRequest,
    @Body() raw: unknown,
    @Res({ passthrough: true }) res: Response,
  ): Promise<object> {
    const body = bodyObject(raw);
    const actor = await this.accounts.actingAccount(req.account, body.accountSid);
    return replyBody(res, await this.rpc.forward('otp.v1.verify', { ...body, ...actor }));
  }

  @ApiOperation({
    operationId: 'cancel',
    tag: 'OTP',
    summary: 'Cancel a request',
    description: 'The code stops verifying; fallback steps still due are not sent. Answers `message: "canceled"`.',
    body: CancelOtpRequest,
    response: OtpReplyBody,
    errors: [403, 457, 471, 472, 473, 475, 476, 490, 503],
  })
  @Post('cancel')
  @HttpCode(200)
  async cancel(
    @Req() req: AuthenticatedRequest,
    @Body() raw: unknown,
    @Res({ passthrough: true }) res: Response,
  ): Promise<object> {
    const body = bodyObject(raw);
    const actor = await this.accounts.actingAccount(req.account, body.accountSid);
    return replyBody(res, await this.rpc.forward('otp.v1.cancel', { ...body, ...actor }));
  }
}
