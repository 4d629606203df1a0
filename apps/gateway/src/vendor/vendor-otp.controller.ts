import { Body, Controller, Headers, HttpCode, Post, Req, Res } from '@nestjs/common';
import { type CommandInput, type ErrorReply, httpStatusOf, isErrorReply } from '@app/contracts';
import { NatsRpcClient } from '@app/platform';
import type { Response } from 'express';
import { AccountsService } from '../accounts/accounts.service';
import { type AuthenticatedRequest, UseAuthScheme } from '../auth/auth.guard';
import { bodyObject } from '../http/body';
import { idempotencyKeyHeader, sendOtpCommand } from '../otp/otp-send';

/** Our field names back to the second vendor's, so a 400 names the field the caller sent. */
const VENDOR_FIELD: Record<string, string> = {
  to: 'phone_number',
  body: 'text',
  from: 'sender',
  channel: 'channel',
  length: 'code_length',
  allowDigits: 'allow_digits',
  allowUpperCase: 'allow_upper_case',
  allowLowerCase: 'allow_lower_case',
  allowSpecialChars: 'allow_special_chars',
  timeout: 'validity_period',
  maxWrongAttempts: 'max_wrong_attempts',
  recipientIp: 'recipient_ip',
  language: 'voice_language',
  voice: 'voice_gender',
  requestId: 'otp_request_token',
  code: 'code',
};

const CHANNEL: Record<string, string> = { sms: 'sms', voice_sms: 'call' };

/**
 * The second vendor's shape (seed 003, SPEC 3.6): `POST /otp/generate` and `/otp/validate`,
 * authenticated by `api-login` / `api-key` headers, answering `code: 0` on success. A thin
 * adapter: the same otp-core commands run underneath.
 */
@Controller('otp')
@UseAuthScheme('api-key')
export class VendorOtpController {
  constructor(
    private readonly rpc: NatsRpcClient,
    private readonly accounts: AccountsService,
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
    const text = typeof b.text === 'string' && !b.text.includes('{code}') ? `${b.text} {code}` : b.text;
    const channel =
      b.channel === undefined
        ? undefined
        : typeof b.channel === 'string'
          ? (CHANNEL[b.channel] ?? b.channel)
          : b.channel;
    const command = {
      service: typeof b.service === 'string' ? b.service : 'otp',
      to: b.phone_number,
      body: text,
      from: b.sender,
      channel,
      length: b.code_length,
      allowDigits: b.allow_digits,
      allowUpperCase: b.allow_upper_case,
      allowLowerCase: b.allow_lower_case,
      allowSpecialChars: b.allow_special_chars,
      timeout: b.validity_period,
      maxWrongAttempts: b.max_wrong_attempts,
      recipientIp: b.recipient_ip,
      // The voice options mean something to a voice_sms only; an sms ignores them, as the seed does.
      ...(channel === 'call' ? { language: b.voice_language, voice: b.voice_gender } : {}),
      ...actor,
      idempotencyKey: key,
    } as CommandInput<'otp.v1.send'>;
    const reply = await sendOtpCommand(this.rpc, command);
    if (isErrorReply(reply)) return vendorError(res, reply);
    res
      .status(200)
      .json({ code: 0, message: 'OK', ticket_number: reply.requestID, otp_request_token: reply.requestID });
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
