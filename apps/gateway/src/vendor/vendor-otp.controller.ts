import { Body, Controller, Get, Headers, HttpCode, Inject, Post, Put, Query, Req, Res } from '@nestjs/common';
import {
  type CommandInput,
  DomainError,
  type ErrorReply,
  httpStatusOf,
  isErrorReply,
  phoneNumber,
} from '@app/contracts';
import { APP_CONFIG, type AppConfig, NatsRpcClient } from '@app/platform';
import type { Response } from 'express';
import { AccountsService } from '../accounts/accounts.service';
import { type AuthenticatedRequest, UseAuthScheme } from '../auth/auth.guard';
import { bodyObject } from '../http/body';
import { idempotencyKeyHeader, sendOtpCommand } from '../otp/otp-send';
import { VENDOR_FIELD, vendorSendCommand } from './vendor-send';

/**
 * The second vendor's shape (seed 003, SPEC 3.6): `POST /otp/generate` and `/otp/validate`,
 * authenticated by `api-login` / `api-key` headers, answering `code: 0` on success. A thin
 * adapter: the same otp-core commands run underneath. `GET`/`PUT /otp/sender`: the account's
 * default sender, used when a generate names none (or one that cannot be used).
 */
@Controller('otp')
@UseAuthScheme('api-key')
export class VendorOtpController {
  constructor(
    private readonly rpc: NatsRpcClient,
    private readonly accounts: AccountsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('generate')
  @HttpCode(200)
  async generate(
    @Req() req: AuthenticatedRequest,
    @Body() raw: unknown,
    @Res() res: Response,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<void> {
    const b = bodyObject(raw);
    const key = idempotencyKeyHeader(idempotencyKey);
    const actor = await this.accounts.actingAccount(req.account, b.accountSid);
    const defaultSender = (await this.accounts.defaultSenderOf(actor.accountSid)) ?? this.config.defaultSender;
    const { command, warnings } = vendorSendCommand(b, actor, defaultSender);
    if (command.from === undefined) {
      throw new DomainError(400, 'sender is required: this account has no default sender (PUT /otp/sender)', {
        field: 'sender',
      });
    }
    const reply = await sendOtpCommand(this.rpc, { ...command, idempotencyKey: key });
    if (isErrorReply(reply)) return vendorError(res, reply);
    res.status(200).json({
      code: 0,
      message: 'OK',
      ticket_number: reply.requestID,
      otp_request_token: reply.requestID,
      ...(warnings.length ? { warnings } : {}),
    });
  }

  @Post('validate')
  @HttpCode(200)
  async validate(@Req() req: AuthenticatedRequest, @Body() raw: unknown, @Res() res: Response): Promise<void> {
    const b = bodyObject(raw);
    const actor = await this.accounts.actingAccount(req.account, b.accountSid);
    const reply = await this.rpc.request('otp.v1.verify', {
      requestId: b.otp_request_token,
      code: b.code,
      ...actor,
    } as CommandInput<'otp.v1.verify'>);
    if (isErrorReply(reply)) return vendorError(res, reply);
    res.status(200).json({ code: 0, message: 'OK', ticket_number: reply.requestID });
  }

  /** The account's default sender (`null`: none; then DEFAULT_SENDER, if the operator set one). */
  @Get('sender')
  async sender(@Req() req: AuthenticatedRequest, @Query('accountSid') accountSid?: string): Promise<object> {
    const actor = await this.accounts.actingAccount(req.account, accountSid);
    return { code: 0, message: 'OK', sender: (await this.accounts.defaultSenderOf(actor.accountSid)) ?? null };
  }

  /** Sets (or with `null`, clears) the account's default sender: an E.164 number or a 3-11 character sender ID. */
  @Put('sender')
  async setSender(@Req() req: AuthenticatedRequest, @Body() raw: unknown): Promise<object> {
    const b = bodyObject(raw);
    const actor = await this.accounts.actingAccount(req.account, b.accountSid);
    const sender = b.sender;
    const valid =
      sender === null ||
      (typeof sender === 'string' && (/^[A-Za-z0-9]{3,11}$/.test(sender) || phoneNumber.safeParse(sender).success));
    if (!valid) {
      throw new DomainError(400, 'sender must be an E.164 number, a 3-11 character alphanumeric sender ID, or null', {
        field: 'sender',
      });
    }
    await this.accounts.setDefaultSender(actor.accountSid, sender as string | null);
    return { code: 0, message: 'OK', sender };
  }
}

function vendorError(res: Response, reply: ErrorReply): void {
  const field = reply.field === undefined ? undefined : (VENDOR_FIELD[reply.field] ?? reply.field);
  let message = reply.message;
  if (field && reply.field && field !== reply.field)
    message = message.replace(new RegExp(`\\b${reply.field}\\b`), field);
  res.status(httpStatusOf(reply.code));
  if (reply.retryAfter !== undefined) res.setHeader('Retry-After', String(reply.retryAfter));
  res.json({
    code: reply.code,
    message,
    ...(field ? { field } : {}),
    ...(reply.requestID ? { ticket_number: reply.requestID } : {}),
    // An unknown outcome (457): the key to send the same request again with, safely.
    ...(reply.idempotencyKey ? { idempotency_key: reply.idempotencyKey } : {}),
  });
}
